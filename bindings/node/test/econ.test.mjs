// hcp econ from Node: worked examples, error codes, the model catalog.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const require = createRequire(import.meta.url)
const hcp = require('../hcp.js')

const market = (over = {}) =>
  new hcp.Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, feesBtcPerBlock: 0, electricityUsdPerKwh: 0.05, ...over })

test('worked hashprice example', () => {
  assert.ok(Math.abs(hcp.hashpriceUsdPerPhDay(market()) - 62.86) < 0.005)
})

test('halving boundaries', () => {
  assert.equal(hcp.blockSubsidyBtc(209_999), 50)
  assert.equal(hcp.blockSubsidyBtc(210_000), 25)
  assert.equal(hcp.blockSubsidyBtc(840_000), 3.125)
  assert.equal(hcp.blockSubsidyBtc(6_930_000), 0)
})

test('miner day', () => {
  const d = hcp.minerDaily('S21', market())
  assert.ok(Math.abs(d.energyCostUsd - 4.2) < 1e-9)
  assert.ok(Math.abs(d.profitUsd - (d.revenueUsd - d.energyCostUsd)) < 1e-9)
  assert.deepEqual(hcp.minerDaily(hcp.getModel('S21'), market()), d)
})

test('bad input throws code InvalidInput naming the field', () => {
  for (const [over, field] of [
    [{ btcUsd: NaN }, 'btc_usd'],
    [{ btcUsd: Infinity }, 'btc_usd'],
    [{ btcUsd: -1 }, 'btc_usd'],
    [{ difficulty: 0 }, 'difficulty'],
    [{ height: -1 }, 'height'],
    [{ feesBtcPerBlock: undefined, feeShare: 1 }, 'fee_share'],
  ]) {
    assert.throws(() => market(over), (e) => e.code === 'InvalidInput' && e.message.startsWith(field))
  }
  assert.throws(() => hcp.minerDaily('S9', market()), (e) => e.code === 'InvalidInput' && /model/.test(e.message))
  assert.throws(() => hcp.blockSubsidyBtc(-1), (e) => e.code === 'InvalidInput')
})

test('catalog', () => {
  assert.deepEqual(hcp.catalog().map((m) => m.name), ['S21', 'S21_PRO', 'S21_XP', 'S21_HYDRO', 'S19_XP', 'H100_SXM', 'H100_PCIE'])
  assert.throws(() => hcp.catalog('{'), (e) => e.code === 'InvalidInput')
})

test('batch over TypedArrays matches the scalar maths and names bad rows', () => {
  const m = market({ feesBtcPerBlock: undefined, feeShare: 0.02 })
  const names = ['S21', 'S21_XP', 'S19_XP']
  const models = names.map((n) => hcp.getModel(n))
  const r = hcp.minerDailyBatch(m, Float64Array.from(models, (x) => x.hashrateThs), Float64Array.from(models, (x) => x.powerWatts), null, { poolFee: 0.02 })
  assert.ok(r.profitUsdPerDay instanceof Float64Array)
  names.forEach((n, i) => {
    const d = hcp.minerDaily(n, m, { poolFee: 0.02 })
    assert.ok(Math.abs(r.profitUsdPerDay[i] - d.profitUsd) < 1e-9)
  })
  assert.throws(
    () => hcp.minerDailyBatch(m, new Float64Array([1, NaN]), new Float64Array([1, 1])),
    (e) => e.code === 'InvalidInput' && e.message.startsWith('hashrate_ths: [1]'),
  )
  const c = hcp.minerCurtailBatch(m, new Float64Array([200, 200]), new Float64Array([3500, 3500]), new Float64Array([25, 25]), new Float64Array([0.05, 0.5]))
  assert.deepEqual(Array.from(c.mine), [1, 0])
})

test('site plan and decider', () => {
  const m = market({ gpuUsdPerHour: 2 })
  const site = new hcp.Site([{ model: 'S21', count: 1000 }, { model: 'H100_SXM', count: 512 }], 4000, { pue: 1.1, gpuUtilisation: 0.8 })
  const plan = site.plan(m)
  assert.ok(plan.facilityKw <= 4000 + 1e-9)
  assert.equal(plan.groups[1].running, 512)
  const d = new hcp.Decider('S21', null, { minDwellSeconds: 3600 })
  assert.equal(d.step(market({ electricityUsdPerKwh: 0.5 }), 900).action, 'sleep')
  assert.equal(d.step(m, 900).action, 'sleep')
  assert.equal(d.switches, 1)
  assert.throws(() => d.step(m, 0), (e) => e.code === 'InvalidInput' && e.message.startsWith('dt_seconds'))
})

test('N-API conversion errors are InvalidInput too', () => {
  assert.throws(() => hcp.hashpriceUsdPerPhDay({}), (e) => e.code === 'InvalidInput' && e.napiCode === 'InvalidArg')
  assert.throws(() => new hcp.Market({ btcUsd: 'x', difficulty: 1, height: 1 }), (e) => e.code === 'InvalidInput')
  assert.throws(() => new hcp.Decider('S21').step(market(), 'soon'), (e) => e.code === 'InvalidInput')
})

test('batch writes into caller arrays and refuses aliasing', () => {
  const m = market()
  const ths = new Float64Array([200, 270]), w = new Float64Array([3500, 3645])
  const out = { revenueUsdPerDay: new Float64Array(2), energyCostUsdPerDay: new Float64Array(2), profitUsdPerDay: new Float64Array(2), breakevenUsdPerKwh: new Float64Array(2) }
  const r = hcp.minerDailyBatch(m, ths, w, null, null, out)
  assert.equal(r.profitUsdPerDay, out.profitUsdPerDay)
  assert.ok(Math.abs(out.profitUsdPerDay[0] - hcp.minerDaily('S21', m).profitUsd) < 1e-9)
  assert.throws(() => hcp.minerDailyBatch(m, ths, w, null, null, { ...out, profitUsdPerDay: out.revenueUsdPerDay }), (e) => e.code === 'InvalidInput' && /overlap/.test(e.message))
  assert.throws(() => hcp.minerDailyBatch(m, ths, w, null, null, { ...out, profitUsdPerDay: ths }), (e) => e.code === 'InvalidInput')
  assert.throws(() => hcp.minerDailyBatch(m, ths, w, null, null, { ...out, profitUsdPerDay: new Float64Array(3) }), (e) => e.code === 'InvalidInput' && /profit_usd_per_day/.test(e.message))
})
