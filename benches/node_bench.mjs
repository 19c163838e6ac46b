// hcp benchmarks from Node: scalar call cost and batch throughput over TypedArrays.
// Run with `make bench` (from bindings/node) or `node ../../benches/node_bench.mjs` there.
import { createRequire } from 'node:module'
import os from 'node:os'

const hcp = createRequire(import.meta.url)(`${process.cwd()}/hcp.js`)
const quick = process.env.HCP_BENCH_QUICK === '1'

function nsPerCall(fn, n) {
  for (let i = 0; i < 10_000; i++) fn()
  let best = Infinity
  for (let r = 0; r < 5; r++) {
    const t0 = process.hrtime.bigint()
    for (let i = 0; i < n; i++) fn()
    best = Math.min(best, Number(process.hrtime.bigint() - t0) / n)
  }
  return best
}

const market = new hcp.Market({ btcUsd: 100_000, difficulty: 1.1e14, height: 880_000, feeShare: 0.02, electricityUsdPerKwh: 0.05, gpuUsdPerHour: 2 })
console.log(`# hcp Node benchmarks — ${os.cpus()[0].model}, ${os.cpus().length} cores, Node ${process.version}`)
console.log('\n### Scalar calls from Node (one N-API crossing each)\n')
console.log('| call | ns / call |\n| --- | --- |')
const n = quick ? 200_000 : 1_000_000
for (const [name, fn] of [
  ['hcp.hashpriceUsdPerPhDay(market)', () => hcp.hashpriceUsdPerPhDay(market)],
  ['hcp.blockSubsidyBtc(840000)', () => hcp.blockSubsidyBtc(840_000)],
  ["hcp.minerDaily('S21', market)", () => hcp.minerDaily('S21', market)],
]) {
  console.log(`| \`${name}\` | ${nsPerCall(fn, n).toFixed(0)} |`)
}

const N = 1_000_000
const ths = new Float64Array(N), watts = new Float64Array(N), sleep = new Float64Array(N).fill(25), price = new Float64Array(N)
for (let i = 0; i < N; i++) {
  ths[i] = 100 + ((i * 7919) % 240)
  watts[i] = ths[i] * (13.5 + ((i * 104729) % 85) / 10)
  price[i] = ((i * 31) % 250) / 1000
}
function best(fn, reps) {
  let b = Infinity
  for (let r = 0; r < reps; r++) {
    const t0 = process.hrtime.bigint()
    fn()
    b = Math.min(b, Number(process.hrtime.bigint() - t0))
  }
  return b
}
const reps = quick ? 3 : 10
const batch = best(() => hcp.minerDailyBatch(market, ths, watts), reps)
const out = { revenueUsdPerDay: new Float64Array(N), energyCostUsdPerDay: new Float64Array(N), profitUsdPerDay: new Float64Array(N), breakevenUsdPerKwh: new Float64Array(N) }
const batchOut = best(() => hcp.minerDailyBatch(market, ths, watts, null, null, out), reps)
const curtail = best(() => hcp.minerCurtailBatch(market, ths, watts, sleep, price), reps)
// The same maths as a plain JS loop, for scale.
const usdPerThDay = hcp.hashpriceUsdPerThDay(market)
const js = best(() => {
  const { revenueUsdPerDay: r, energyCostUsdPerDay: c, profitUsdPerDay: p, breakevenUsdPerKwh: b } = out
  for (let i = 0; i < N; i++) {
    if (!(ths[i] >= 0 && watts[i] > 0 && ths[i] < Infinity && watts[i] < Infinity)) throw new Error('bad input')
    r[i] = ths[i] * usdPerThDay
    const kwh = watts[i] * 0.024
    c[i] = kwh * 0.05
    p[i] = r[i] - c[i]
    b[i] = r[i] / kwh
  }
}, reps)
console.log('\n### Batch from Node, 10^6 devices (TypedArrays in, new TypedArrays out)\n')
console.log('| call | ns / device |\n| --- | --- |')
console.log(`| \`hcp.minerDailyBatch\` (new arrays) | ${(batch / N).toFixed(2)} |`)
console.log(`| \`hcp.minerDailyBatch\` (\`out\` arrays reused) | ${(batchOut / N).toFixed(2)} |`)
console.log(`| same maths, plain JS loop into the same out arrays | ${(js / N).toFixed(2)} |`)
console.log(`| \`hcp.minerCurtailBatch\` | ${(curtail / N).toFixed(2)} |`)

// ---- router: submit 64 → dispatch them → complete them, on 256 H100s ---------------------------
// Node runs JS on one thread, so one thread here; the Router itself is shared-safe.
const B = 64, GPUS = 256
const total = quick ? 64_000 : 640_000
const prios = new Float64Array(B).map((_, i) => 1 + (i % 10))
const mem = new Float64Array(B).fill(1)
function newRouter() {
  const r = new hcp.Router({ aging_seconds: 0 })
  for (let i = 0; i < GPUS; i++) r.addDevice(`g${i}`, 'gpu', 'H100_SXM', 'a')
  return r
}
function rate(fn, n) {
  let bestRate = 0
  for (let rep = 0; rep < 3; rep++) {
    const t0 = process.hrtime.bigint()
    fn(n)
    bestRate = Math.max(bestRate, n / (Number(process.hrtime.bigint() - t0) * 1e-9))
  }
  return bestRate
}
const hcpBatch = (() => {
  const r = newRouter()
  return rate((n) => {
    for (let done = 0; done < n; done += B) {
      r.submitMany('bench', 'ai_inference_batch', prios, mem)
      for (let got = 0; got < B; ) {
        const ids = r.dispatchBatch(B - got).workloadIds
        r.completeBatch(ids)
        got += ids.length
      }
    }
  }, total)
})()
const hcpCalls = (() => {
  const r = newRouter()
  return rate((n) => {
    const ids = []
    for (let done = 0; done < n; done += B) {
      for (let i = 0; i < B; i++) r.submit('bench', 'ai_inference_batch', { priority: prios[i], gpuMemoryGb: 1 })
      ids.length = 0
      while (ids.length < B) {
        const a = r.dispatch()
        if (a) ids.push(a.workloadId)
      }
      for (const id of ids) r.complete(id)
    }
  }, total / 10)
})()
// The usual plain-JS router: a binary heap of [priority, id], best fit by a scan of the GPUs.
class JsRouter {
  constructor(gpus, mb) { this.heap = []; this.free = new Array(gpus).fill(mb); this.work = new Map(); this.next = 0 }
  submit(priority, mb) {
    const id = this.next++
    this.work.set(id, { mb, dev: -1 })
    const h = this.heap
    h.push([priority, id])
    for (let i = h.length - 1; i > 0; ) {
      const p = (i - 1) >> 1
      if (h[p][0] < h[i][0] || (h[p][0] === h[i][0] && h[p][1] < h[i][1])) break
      ;[h[p], h[i]] = [h[i], h[p]]
      i = p
    }
    return id
  }
  dispatch() {
    const h = this.heap
    if (h.length === 0) return -1
    const top = h[0], last = h.pop()
    if (h.length > 0) {
      h[0] = last
      for (let i = 0; ; ) {
        const l = 2 * i + 1, r = l + 1
        let m = i
        const less = (a, b) => a[0] < b[0] || (a[0] === b[0] && a[1] < b[1])
        if (l < h.length && less(h[l], h[m])) m = l
        if (r < h.length && less(h[r], h[m])) m = r
        if (m === i) break
        ;[h[m], h[i]] = [h[i], h[m]]
        i = m
      }
    }
    const w = this.work.get(top[1])
    let best = -1
    for (let d = 0; d < this.free.length; d++) if (this.free[d] >= w.mb && (best < 0 || this.free[d] < this.free[best])) best = d
    this.free[best] -= w.mb
    w.dev = best
    return top[1]
  }
  complete(id) {
    const w = this.work.get(id)
    this.free[w.dev] += w.mb
    this.work.delete(id)
  }
}
const jsRouter = (() => {
  const r = new JsRouter(GPUS, 80 * 1024)
  return rate((n) => {
    const ids = []
    for (let done = 0; done < n; done += B) {
      for (let i = 0; i < B; i++) r.submit(prios[i], 1024)
      ids.length = 0
      while (ids.length < B) ids.push(r.dispatch())
      for (const id of ids) r.complete(id)
    }
  }, total / 10)
})()
console.log('\n### Router from Node: submit → dispatch → complete cycles, one thread (workloads / s)\n')
console.log('| variant | workloads / s |\n| --- | --- |')
console.log(`| \`hcp.Router\` batch calls (\`submitMany\`, \`dispatchBatch\`, \`completeBatch\`) | ${(hcpBatch / 1e6).toFixed(2)} M |`)
console.log(`| \`hcp.Router\`, one call per workload | ${(hcpCalls / 1e6).toFixed(2)} M |`)
console.log(`| plain JS heap + best-fit scan router (far less work) | ${(jsRouter / 1e6).toFixed(2)} M |`)
