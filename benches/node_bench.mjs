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
