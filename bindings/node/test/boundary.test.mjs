// Issue #10 regressions: each crash class the fuzzers found at the Node boundary, fixed as a
// class — every bad argument is an Error whose `code` is an hcp kind and whose message names the
// field; nothing aborts, overflows the stack or is coerced silently.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const hcp = createRequire(import.meta.url)('../hcp.js')

const market = () => new hcp.Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000 })

function invalid(fn, field) {
  assert.throws(fn, (err) => {
    assert.ok(err instanceof Error, `not an Error: ${err}`)
    assert.equal(err.code, 'InvalidInput', `${err.code}: ${err.message}`)
    if (field) assert.ok(err.message.startsWith(`${field}:`) || err.message.startsWith(`${field}.`) || err.message.startsWith(`${field}[`), err.message)
    return true
  })
}

function deep(levels) {
  let o = { leaf: 1 }
  for (let i = 0; i < levels; i++) o = { a: o }
  return o
}

function cyclic() {
  const o = { x: 1 }
  o.self = o
  return o
}

test('static factories are wrapped: their errors carry hcp kinds naming the argument', () => {
  invalid(() => hcp.Ledger.open(5), 'path')
  invalid(() => hcp.Ledger.open('/tmp/x.db', 7), 'durability')
  invalid(() => hcp.Charge.fromDict(5n), 'config')
  invalid(() => hcp.Plan.fromDict(cyclic()), 'config')
  invalid(() => hcp.Charge.fromDict({ model: 'standard', amount: NaN }), 'config.amount')
  const ledger = hcp.Ledger.memory()
  assert.ok(ledger instanceof hcp.Ledger)
  assert.ok(market() instanceof hcp.Market)
  ledger.close()
})

test('constructors still need new, and keep the native prototype', () => {
  assert.throws(() => hcp.Market({ btcUsd: 1, difficulty: 1, height: 0 }), (e) => e.code === 'InvalidInput')
  class Mine extends hcp.Router {}
  assert.ok(new Mine() instanceof hcp.Router)
})

test('BigInt arguments and fields are InvalidInput naming them', () => {
  invalid(() => hcp.blockSubsidyBtc(5n), 'heightBlocks')
  invalid(() => new hcp.Fleet({ seed: 5n }), 'config.seed')
  invalid(() => new hcp.Router({ aging_seconds: 10n }), 'config.aging_seconds')
  invalid(() => hcp.validateEvent({ eventId: 'e', customerId: 'c', meterCode: 'm', quantity: 1n, timestamp: '2026-01-01T00:00:00Z' }), 'event.quantity')
  invalid(() => hcp.Ledger.memory().ingest([{ eventId: 1n }]), 'events[0].eventId')
})

test('deep (30,000 levels) and self-referencing arguments are InvalidInput naming the argument', () => {
  const d = deep(30_000)
  const c = cyclic()
  const r = new hcp.Router()
  const f = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
  f.addGpu('sxm')
  for (const bad of [d, c]) {
    invalid(() => new hcp.Router(bad), 'config')
    invalid(() => new hcp.Fleet(bad), 'config')
    invalid(() => f.command(0, bad), 'command')
    invalid(() => f.commandMany([0], { command: 'serve', model: bad, batch: 1 }), 'command')
    invalid(() => new hcp.H100('sxm', bad), 'overrides')
    invalid(() => hcp.syntheticMarket(1, 2, 60, bad), 'config')
    invalid(() => f.setMarketSynthetic(1, bad), 'config')
    invalid(() => hcp.Charge.fromDict(bad), 'config')
    invalid(() => hcp.Plan.fromDict(bad), 'config')
    invalid(() => hcp.validateEvent(bad), 'event')
    invalid(() => hcp.Ledger.memory().ingest([bad]), 'events')
    invalid(() => hcp.Ledger.memory().ingest(bad), 'events')
  }
  // 64 levels is the stated limit (hcpcore::limits::MAX_DEPTH): 65 is refused, with the same message.
  invalid(() => new hcp.Fleet(deep(64)), 'config')
  r.close()
})

test('NaN and infinities inside config objects name the field', () => {
  invalid(() => new hcp.Fleet({ dtSeconds: NaN }), 'config.dtSeconds')
  invalid(() => new hcp.Fleet({ faults: { rate: Infinity } }), 'config.faults.rate')
  invalid(() => hcp.syntheticMarket(1, 2, 60, { btcUsd: -Infinity }), 'config.btcUsd')
  invalid(() => new hcp.H100('sxm', { power: { limit_watts: NaN } }), 'overrides.power.limit_watts')
  invalid(() => new hcp.Router({ aging_seconds: NaN }), 'config.aging_seconds')
})

test('integers are checked, never truncated or wrapped', () => {
  invalid(() => new hcp.Market({ btcUsd: 1e5, difficulty: 1e14, height: NaN }), 'height')
  invalid(() => new hcp.Market({ btcUsd: 1e5, difficulty: 1e14, height: 2.5 }), 'height')
  invalid(() => new hcp.Market({ btcUsd: 1e5, difficulty: 1e14, height: 1e300 }), 'height')
  invalid(() => hcp.blockSubsidySats(840_000.5), 'heightBlocks')
  const r = new hcp.Router({ manual_clock: true })
  invalid(() => r.dispatchBatch(-1), 'max')
  invalid(() => r.dispatchBatch(2 ** 32 - 1), 'max')
  invalid(() => r.dispatchBatch(1.5), 'max')
  invalid(() => r.submit('c', 'ai_inference_batch', { priority: 2.5 }), 'options.priority')
  invalid(() => r.submit('c', 'ai_inference_batch', { gpus: NaN }), 'options.gpus')
  invalid(() => r.submitBatch([{ customerId: 'c', workloadType: 'ai_inference_batch', priority: Infinity }]), 'requests[0].priority')
  invalid(() => r.complete(1.5), 'workloadId')
  invalid(() => r.complete(NaN), 'workloadId')
  assert.throws(() => r.complete(-1), (e) => e.code === 'NotFound')
  invalid(() => r.setCustomer('c', { weight: -1 }), 'config.weight')
  invalid(() => r.setCustomer('c', { maxGpus: 2 ** 32 }), 'config.maxGpus')
  const ids = r.submitMany('c', 'ai_inference_batch', new Float64Array([5]))
  assert.deepEqual([...r.completeBatch(new Float64Array([ids[0] + 0.5, -1, NaN]))], [0, 0, 0])
  r.close()

  const f = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
  invalid(() => f.addMany('sxm', -1, 'S21', 0), 'gpus')
  invalid(() => f.addMany('sxm', 2 ** 32 - 1, 'S21', 0), 'gpus')
  invalid(() => f.addMany('sxm', 0, 'S21', 2 ** 45), 'miners')
  invalid(() => f.run(-1), 'steps')
  invalid(() => f.run(2 ** 62), 'steps')
  invalid(() => f.run(0.5), 'steps')
  invalid(() => f.state(0.5), 'device')
  invalid(() => f.commandMany([0.5], { command: 'sleep' }), 'devices[0]')
  invalid(() => f.setMarketSynthetic(-1), 'seed')
  invalid(() => f.cgminer(0, 'summary', 1.5), 'whenUnix')
  assert.equal(f.length, 0)

  invalid(() => hcp.syntheticMarket(-1, 10, 60), 'seed')
  invalid(() => hcp.syntheticMarket(1, 2 ** 62, 60), 'steps')
  invalid(() => hcp.syntheticMarket(1, -1, 60), 'steps')
  invalid(() => hcp.syntheticMarket(1, 10, 1e308), 'dtSeconds')
  invalid(() => hcp.syntheticMarket(1, 10, NaN), 'dtSeconds')
  invalid(() => hcp.replayMarket('data/market', '2024-01-01T00:00:00Z', 2 ** 62, 60), 'steps')

  const gpu = new hcp.H100('sxm')
  const model = { params: 8e9, layers: { layers: 32.5, hidden: 4096, intermediate: 14336, heads: 32, kvHeads: 8 } }
  invalid(() => gpu.decode(model, 8), 'model.layers.layers')
  invalid(() => gpu.decode({ params: 8e9 }, 2.5), 'batch')
  invalid(() => gpu.decode({ params: 8e9 }, 8, -1), 'contextTokens')

  invalid(() => new hcp.Site([{ model: 'S21', count: -1 }], 100), 'devices[0].count')
  invalid(() => new hcp.Site([{ model: 'S21', count: 2.5 }], 100), 'devices[0].count')
})

test('typed arguments of the wrong type name the parameter', () => {
  invalid(() => new hcp.Site([], 'x'), 'capKw')
  invalid(() => hcp.hashpriceUsdPerPhDay({}), 'market')
  invalid(() => hcp.minerDailyBatch(market(), new Int32Array(2), new Float64Array(2)), 'hashrateThs')
  invalid(() => new hcp.Market({ btcUsd: 'x', difficulty: 1, height: 0 }), 'init')
  invalid(() => new hcp.Router().submit(5, 'x'), 'customerId')
})

test('large lists are checked against their stated maximum before any work', () => {
  const r = new hcp.Router()
  invalid(() => r.completeBatch(new Float64Array(2 ** 20 + 1)), 'workloadIds.length')
  invalid(() => r.submitMany('c', 'ai_inference_batch', new Float64Array(2 ** 20 + 1)), 'priorities.length')
  r.close()
})

// Non-finite results of the core for accepted finite inputs, found by the fuzzer (test/fuzz.test.mjs).
// The binding does not hide them (a NaN in a serde result is an `Internal` error naming the
// field, never a null); the core now refuses the inputs that led there (issue #10, class 4), so
// these are regression tests.
const coreBugs = [
  ['networkHashrateHs(1.7976931348623157e308)', () => hcp.networkHashrateHs(1.7976931348623157e308)],
  ['paybackDays(1.0531739797531084e142, 5.518199453333037e-303)', () => hcp.paybackDays(1.0531739797531084e142, 5.518199453333037e-303)],
  ['roi(1.7639402687530772e-298, 3.274170059105423e-28, 4.848456705837652e290)', () => hcp.roi(1.7639402687530772e-298, 3.274170059105423e-28, 4.848456705837652e290)],
  ['paybackDays(999999.9999999983, 3.5e-323)', () => hcp.paybackDays(999999.9999999983, 3.5e-323)],
  ["breakevenBtcUsd('S21', height 7,000,000: zero subsidy, no fees)", () => hcp.breakevenBtcUsd('S21', new hcp.Market({ btcUsd: 1e5, difficulty: 1e14, height: 7_000_000, electricityUsdPerKwh: 0.05 }))],
]
for (const [call, fn] of coreBugs) {
  test(`core: ${call} is finite or InvalidInput`, () => {
    try {
      const v = fn()
      assert.ok(v === null || Number.isFinite(v), `${call} = ${v}`)
    } catch (err) {
      assert.equal(err.code, 'InvalidInput', err.message)
    }
  })
}

test('sparse arrays: list lengths are checked before N-API reserves memory (was an abort)', () => {
  const r = new hcp.Router()
  invalid(() => r.submitBatch(new Array(2 ** 32 - 1)), 'requests')
  invalid(() => new hcp.Site(new Array(2 ** 32 - 1), 100), 'devices')
  invalid(() => hcp.Ledger.memory().usage('c', new Array(2 ** 32 - 1)), 'meterCodes')
  invalid(() => new hcp.Decider('S21').stepSeries(new Array(2 ** 24), 60), 'markets')
  invalid(() => new hcp.Fleet().commandMany(new Array(2 ** 32 - 1), { command: 'sleep' }), 'devices')
  invalid(() => r.submitMany('c', 'ai_inference_batch', new Float64Array(1), null, new Array(2 ** 32 - 1)), 'sites')
  r.close()
})

test('an options object given as a primitive is refused, not read as {}', () => {
  const m = market()
  invalid(() => hcp.minerDaily('S21', m, 5n), 'termsInit')
  invalid(() => hcp.minerDaily('S21', m, 5), 'termsInit')
  invalid(() => hcp.gpuDaily('H100_SXM', m, 'x'), 'termsInit')
  invalid(() => new hcp.Decider('S21', 'mine', 1), 'policy')
  const r = new hcp.Router()
  invalid(() => r.submit('c', 'ai_inference_batch', 'x'), 'options')
  invalid(() => r.setCustomer('c', 7), 'config')
  r.close()
  assert.equal(typeof hcp.minerDaily('S21', m, undefined).profitUsd, 'number')
  assert.equal(typeof hcp.minerDaily('S21', m, null).profitUsd, 'number')
})
