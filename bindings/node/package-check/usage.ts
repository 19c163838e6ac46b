// TypeScript under "moduleResolution": "bundler": named imports with their types.
import { Market, Router, hashpriceUsdPerPhDay, type Assignment } from 'hcpcore'
const m = new Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, electricityUsdPerKwh: 0.05 })
const r = new Router()
r.addDevice('gpu-0', 'gpu', 'H100_SXM', 'austin')
const id: number = r.submit('acme', 'ai_inference_realtime', { priority: 1 })
const a: Assignment | null = r.dispatch()
console.log(`ts-bundler ${hashpriceUsdPerPhDay(m).toFixed(2)} ${a?.workloadId === id}`)
