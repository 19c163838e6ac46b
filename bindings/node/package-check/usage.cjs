// CommonJS consumer of the installed package: require by name.
const { Market, Router, hashpriceUsdPerPhDay } = require('hcpcore')
const m = new Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, electricityUsdPerKwh: 0.05 })
const r = new Router()
r.addDevice('gpu-0', 'gpu', 'H100_SXM', 'austin')
const id = r.submit('acme', 'ai_inference_realtime', { priority: 1 })
console.log(`cjs ${hashpriceUsdPerPhDay(m).toFixed(2)} ${r.dispatch().workloadId === id}`)
