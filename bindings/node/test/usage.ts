// Compiled with `tsc --noEmit` in `make test`: a dashboard developer's first lines, type-checked
// against the generated index.d.ts.
import * as hcp from '../hcp'

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

const gpu = new hcp.H100('sxm')
const d: hcp.Decode = gpu.decode({ params: 8e9, bytesPerParam: 2 }, 32)
const phases: hcp.SwitchPhases = gpu.switch({ kvBytes: 8e9, weightsBytes: 16e9, hostMemory: 'pinned', warmContext: true })
const fleet = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
fleet.addMany('sxm', 2, 'S21', 3)
fleet.command(0, { command: 'serve', model: { params: 8e9, bytesPerParam: 2 }, batch: 32 })
fleet.run(10)
const power: Float64Array = fleet.series().powerWatts
void d
void phases
void power
const router = new hcp.Router({ manual_clock: true })
router.addDevice('gpu-0', 'gpu', 'H100_SXM', 'austin', 80)
const wid: number = router.submit('acme', 'ai_inference_realtime', { priority: 1, gpuMemoryGb: 20 })
const assignment: hcp.Assignment | null = router.dispatch()
if (assignment !== null) {
  const device: string = assignment.deviceId
  void device
}
router.complete(wid)
const prometheus: string = router.metricsText()
const counts: hcp.StateCounts = router.counts()
const outcome: hcp.Submission = router.trySubmit('acme', 'ai_inference_batch', { site: 'austin', deadlineSeconds: 30 })
const why: string | undefined = outcome.reason ?? undefined
router.setCustomer('acme', { weight: 3, maxGpus: 8 })
const acme: hcp.CustomerInfo = router.customer('acme')
const mine: hcp.WorkloadInfo[] = router.customerWorkloads('acme')
const preempted: number = mine.length > 0 ? mine[0].preemptions : 0
const clock: number = router.nowSeconds()
const many: Float64Array = router.submitMany('acme', 'ai_inference_batch', new Float64Array([5]), null, ['austin'], new Float64Array([250]), null)
const requeued: number[] = router.removeDevice('gpu-0')
void [why, acme, preempted, clock, many, requeued]
router.close()
void prometheus
void counts
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
// serving: a replica of an 8B model on an H100 serving the Azure conversational trace.
const server = new hcp.Server(new hcp.H100('sxm'), { params: 8e9, bytesPerParam: 2 }, { maxBatch: 256, seed: 1 })
const conv: hcp.RequestArrays = hcp.azureTrace('conv')
const served: hcp.ServeRun = server.run(conv.arrivalSeconds.subarray(0, 10), conv.promptTokens.subarray(0, 10), conv.outputTokens.subarray(0, 10))
const ttft: Float64Array = served.ttftSeconds
const watts: number = served.meanPowerWatts
void ttft
void watts
