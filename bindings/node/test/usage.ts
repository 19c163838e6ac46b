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
router.close()
void prometheus
void counts
