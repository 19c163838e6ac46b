// TypeScript, CommonJS: import = require with the package's types.
import hcpcore = require('hcpcore')
const m = new hcpcore.Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, electricityUsdPerKwh: 0.05 })
const r = new hcpcore.Router()
r.addDevice('gpu-0', 'gpu', 'H100_SXM', 'austin')
const id: number = r.submit('acme', 'ai_inference_realtime', { priority: 1 })
const a: hcpcore.Assignment | null = r.dispatch()
console.log(`ts-cjs ${hcpcore.hashpriceUsdPerPhDay(m).toFixed(2)} ${a?.workloadId === id}`)
