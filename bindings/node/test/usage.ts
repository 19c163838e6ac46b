// Compiled with `tsc --noEmit` in `make test`: a dashboard developer's first lines, type-checked
// against the generated index.d.ts.
import * as hcp from '../index'

const market = new hcp.Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, feeShare: 0.02, electricityUsdPerKwh: 0.05 })
const hashprice: number = hcp.hashpriceUsdPerPhDay(market)
const day: hcp.MinerDaily = hcp.minerDaily('S21', market, { poolFee: 0.02 })
const profit: number = day.profitUsd
const models: hcp.DeviceModel[] = hcp.catalog()
try {
  new hcp.Market({ btcUsd: -1, difficulty: 1, height: 0 })
} catch (e) {
  const code: string = (e as Error & { code: string }).code
  void code
}
void hashprice
void profit
void models

// billing: decimal strings in and out, a ledger that counts each event once.
const charge = hcp.Charge.fromDict({ model: 'graduated', tiers: [{ up_to: 10, per_unit_amount: '10', flat_amount: '2' }, { up_to: null, per_unit_amount: '5' }] })
const cost: string = charge.amount('12')
const ledger = hcp.Ledger.memory()
const fresh: number = ledger.ingest([{ eventId: 'e1', customerId: 'acme', meterCode: 'gpu_hours', quantity: '1.5', timestamp: '2026-11-01T00:00:00Z' }])
const plan = hcp.Plan.fromDict({ currency: 'USD', meters: [{ code: 'gpu_hours', aggregation: 'sum' }], charges: [{ meter_code: 'gpu_hours', model: 'standard', amount: '2.49' }] })
const invoice: hcp.Invoice = ledger.previewInvoice(plan, { customer_id: 'acme', start: '2026-11-01' }, '2026-11-02')
const total: string = invoice.total
ledger.close()
void cost
void fresh
void total
