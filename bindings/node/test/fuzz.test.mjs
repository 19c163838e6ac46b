// Property tests over every export of the Node binding (issue #10), with fast-check: each
// exported function, constructor, static factory and method is called with arbitrary bad and
// edge values (NaN, ±Infinity, huge numbers, negative counts, non-integers, BigInt, strings,
// null/undefined, deep and cyclic objects, wrong TypedArrays) mixed with good ones.
//
// Property: the call returns a value holding only finite numbers, or throws an Error whose
// `code` is one of hcp's kinds other than 'Internal' — never a crash, never another error.
//
// `make node-test` runs a seeded, bounded pass (HCP_FUZZ_RUNS runs per entry point, default 25);
// `make fuzz-node` runs a longer one (HCP_FUZZ_RUNS=2000, a fresh seed unless HCP_FUZZ_SEED is
// set) and prints the inputs tried per entry point.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fc from 'fast-check'
import { load } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')

const RUNS = Number(process.env.HCP_FUZZ_RUNS ?? 25)
// HCP_FUZZ_COLLECT=1 (make fuzz-node): a non-finite result does not stop its entry point; every
// one found is listed at the end (and fails the run), with its input.
const COLLECT = process.env.HCP_FUZZ_COLLECT === '1'
const SEED = Number(process.env.HCP_FUZZ_SEED ?? 20_260_110)
// Files an entry point may create (ledgers) go to a temporary directory, which is also the working
// directory while the properties run, so no input can write into the tree.
const DATA = fileURLToPath(new URL('../../../data/market', import.meta.url))
const TMP = mkdtempSync(join(tmpdir(), 'hcp-node-fuzz-'))
const HOME = process.cwd()
process.chdir(TMP)
process.on('exit', () => {
  process.chdir(HOME)
  rmSync(TMP, { recursive: true, force: true })
})
const KINDS = new Set(['InvalidInput', 'NotFound', 'Conflict', 'CapacityExceeded', 'IllegalTransition', 'Storage', 'OutOfMemory', 'Closed'])

// ------------------------------------------------------------------------- values

function cyclic() {
  const o = { a: 1, b: [1, 2] }
  o.self = o
  o.b.push(o)
  return o
}
function deepObject(n) {
  let o = { leaf: 1 }
  for (let i = 0; i < n; i++) o = { a: o }
  return o
}
function deepArray(n) {
  let a = [1]
  for (let i = 0; i < n; i++) a = [a]
  return a
}

const edgeNumber = fc.constantFrom(
  NaN, Infinity, -Infinity, 1e308, -1e308, 1.7976931348623157e308, 5e-324, -5e-324, -0, 0, 0.5, 2.5, -1, -2.5,
  2 ** 31, 2 ** 32 - 1, 2 ** 32, 2 ** 45, 2 ** 53, 2 ** 53 + 2, 2 ** 62, 2 ** 64, -(2 ** 31), -(2 ** 63), 1e21, 1e-7,
)
const anyNumber = fc.oneof(edgeNumber, fc.double(), fc.integer({ min: -1000, max: 1000 }))
const typedArray = fc.oneof(
  fc.constantFrom(
    () => new Int32Array([1, 2]), () => new Uint8Array(3), () => new Float32Array([1, NaN]), () => new BigInt64Array(2),
    () => new Float64Array(0), () => new Float64Array([NaN, Infinity, -Infinity]), () => new Uint32Array([4294967295]),
    () => new ArrayBuffer(8), () => new DataView(new ArrayBuffer(8)), () => new Float64Array(new ArrayBuffer(16), 8, 1),
  ).map((f) => f()),
  fc.float64Array({ maxLength: 6 }),
)
const special = fc.constantFrom(
  () => cyclic(), () => deepObject(30_000), () => deepArray(30_000), () => deepObject(64), () => deepObject(65),
  () => Symbol('s'), () => () => 1, () => new Date(0), () => new Map([[1, 2]]), () => Object.create(null),
  () => [undefined, null], () => ({ toString: 1, valueOf: 'x' }), () => new Proxy({}, {}),
  () => new Array(2 ** 32 - 1), () => new Array(2 ** 20 + 1), () => ({ length: 1e9 }),
  () => ({ get x() { throw new Error('getter') }, toJSON() { throw new Error('toJSON') } }),
).map((f) => f())
const bad = fc.oneof(
  { arbitrary: anyNumber, weight: 4 },
  { arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }), weight: 1 },
  { arbitrary: fc.string({ maxLength: 10 }), weight: 1 },
  { arbitrary: fc.constantFrom(null, undefined, true, false, '', 'NaN', '1e999', '-1', 'S21', 'sxm', '\u{d800}'), weight: 2 },
  { arbitrary: special, weight: 2 },
  { arbitrary: typedArray, weight: 1 },
  { arbitrary: fc.array(anyNumber, { maxLength: 4 }), weight: 1 },
  { arbitrary: fc.anything({ maxDepth: 3, withBigInt: true, withTypedArray: true, withNullPrototype: true }), weight: 2 },
)

/** A good value most of the time, a bad one otherwise. */
const mix = (good, w = 3) => fc.oneof({ arbitrary: good, weight: w }, { arbitrary: bad, weight: 2 })
/** An object whose fields are each good or bad, some absent. */
const record = (fields) => fc.record(Object.fromEntries(Object.entries(fields).map(([k, v]) => [k, mix(v)])), { requiredKeys: [] })

const num = (min, max) => fc.double({ min, max, noNaN: true })
const count = (max) => fc.integer({ min: 0, max })
const marketInit = fc.record({
  btcUsd: mix(num(1, 1e7)), difficulty: mix(num(1, 1e18)), height: mix(count(7_000_000)),
  feesBtcPerBlock: mix(num(0, 10)), electricityUsdPerKwh: mix(num(0, 2)), gpuUsdPerHour: mix(num(0, 10)),
  usdPerMillionTokens: mix(num(0, 100)),
}, { requiredKeys: ['btcUsd', 'difficulty', 'height'] })
const okMarket = () => new hcp.Market({ btcUsd: 100_000, difficulty: 1e14, height: 840_000, electricityUsdPerKwh: 0.05, gpuUsdPerHour: 2 })
/** A Market accepted from fuzzed fields (extreme but valid), or the reference one. */
const market = marketInit.map((f) => {
  try {
    return new hcp.Market(f)
  } catch {
    return okMarket()
  }
})
const modelName = fc.constantFrom('S21', 'S21 XP', 'S21 Pro', 'S21 Hydro', 'S19 XP', 'H100_SXM', 'H100 PCIe', 'nope', '')
const deviceModel = record({
  name: fc.string({ maxLength: 6 }), kind: fc.constantFrom('asic', 'gpu', 'fpga'), powerWatts: num(0, 1e4), idleWatts: num(0, 1e3),
  sleepWatts: num(0, 100), hashrateThs: num(0, 1e3), gpuMemoryGb: num(0, 200),
})
const model = fc.oneof(modelName, deviceModel, bad)
const terms = fc.option(record({
  poolFee: num(0, 1), pue: num(1, 3), gpuUtilisation: num(0, 1), tokensPerSecond: num(0, 1e5), demandResponseUsdPerMwh: num(0, 1e3),
}), { nil: undefined })
const f64 = (n = 4) => fc.float64Array({ minLength: n, maxLength: n, noDefaultInfinity: false })
const cols = (k) => fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(...Array.from({ length: k }, () => mix(f64(n)))))
const timestamp = fc.constantFrom('2026-11-02T00:00:00Z', '2026-11-30T00:00:00Z', '2026-13-01T00:00:00Z', 'yesterday', '')
const workloadType = fc.constantFrom('ai_inference_realtime', 'ai_inference_batch', 'model_training', 'bitcoin_mining', 'nope')
const submitOptions = fc.option(record({
  priority: fc.integer({ min: 0, max: 11 }), gpus: count(9), gpuMemoryGb: num(0, 200), site: fc.constantFrom('s1', 's2'),
  latencyBoundMs: num(0, 1e6), deadlineSeconds: num(0, 1e6),
}), { nil: undefined })
const modelSpec = record({
  params: num(1e6, 1e12), bytesPerParam: num(0.5, 4), kvBytesPerElement: num(0.5, 4),
  layers: record({ layers: count(200), hidden: count(20_000), intermediate: count(60_000), heads: count(128), kvHeads: count(128) }),
})
const fleetCommand = fc.oneof(
  record({ command: fc.constant('serve'), model: modelSpec, batch: count(64) }),
  record({ command: fc.constantFrom('mine', 'sleep', 'wake', 'nope'), mode: fc.constantFrom('low', 'normal', 'high') }),
  record({ command: fc.constant('switch'), model: modelSpec, batch: count(64), hostMemory: fc.constantFrom('pinned', 'pageable'), warmContext: fc.boolean() }),
  bad,
)
const fleetConfig = fc.option(record({ dtSeconds: num(1, 3600), seed: count(1000), ambientC: num(-20, 50), keepEvents: fc.boolean() }), { nil: undefined })
const syntheticConfig = fc.option(record({ btcUsd: num(1, 1e6), difficulty: num(1, 1e18), height: count(7_000_000), annualVolatility: num(0, 2) }), { nil: undefined })

// ------------------------------------------------------------------------- billing fixtures

const billing = load('billing')
const scenario = billing.scenarios[0]
const planDoc = scenario.plan
const subscription = scenario.subscription
const events = scenario.steps[0].ingest
const chargeDocs = billing.charges.map((c) => c.charge)
const usageEvent = record({
  event_id: fc.string({ maxLength: 4 }), customer_id: fc.constantFrom('acme', 'other'), meter_code: fc.constantFrom('gpu_hours', 'requests', 'x'),
  quantity: fc.oneof(fc.constantFrom('1', '10.5', '-1', '1e400'), num(-10, 1e6)), timestamp, properties: fc.dictionary(fc.string({ maxLength: 3 }), fc.jsonValue({ maxDepth: 2 }), { maxKeys: 2 }),
})
const subscriptionDoc = fc.oneof({ arbitrary: fc.constant(subscription), weight: 3 }, { arbitrary: record({ customer_id: fc.constantFrom('acme', 'x'), start: timestamp, tax_rate: fc.constantFrom('8.25', '-1', '1e30') }), weight: 2 })
const decimal = fc.oneof(fc.constantFrom('1', '0', '-1', '1e30', '0.0000001', '79228162514264337593543950335', 'x'), anyNumber)

// ------------------------------------------------------------------------- receivers

function router() {
  const r = new hcp.Router({ manual_clock: true })
  r.addDevice('g1', 'gpu', 'H100_SXM', 's1')
  r.addDevice('a1', 'asic', 'S21', 's1')
  r.submit('acme', 'ai_inference_batch')
  r.submit('acme', 'model_training')
  r.dispatch()
  return r
}
function fleet() {
  const f = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
  f.addGpu('sxm')
  f.addMiner('S21')
  return f
}
function ledger() {
  const l = hcp.Ledger.memory()
  l.ingest(events)
  return l
}
const plan = () => hcp.Plan.fromDict(planDoc)

// ------------------------------------------------------------------------- targets
// name → [receiver factory or null, [argument arbitraries], call]

const T = {}
const fn = (name, args) => { T[name] = [null, args, (_, a) => hcp[name](...a)] }
const method = (cls, name, make, args) => { T[`${cls}#${name}`] = [make, args, (o, a) => o[name](...a)] }
const ctor = (cls, args) => { T[`${cls}.new`] = [null, args, (_, a) => new hcp[cls](...a)] }
const stat = (cls, name, args) => { T[`${cls}.${name}`] = [null, args, (_, a) => hcp[cls][name](...a)] }

// econ
fn('version', [])
fn('asicModel', [mix(fc.string({ maxLength: 5 })), mix(num(0, 1e4)), mix(num(0, 100))])
fn('getModel', [mix(modelName)])
fn('catalog', [fc.option(mix(fc.constantFrom('{}', '[]', '{"S21": {"power_watts": NaN}}', '{"S21": {"power_watts": 1e309}}', '{"X": {"kind": "asic"}}', 'nope')), { nil: undefined })])
for (const name of ['blockSubsidyBtc', 'blockSubsidySats']) fn(name, [mix(count(8_000_000))])
fn('networkHashrateHs', [mix(num(0, 1e20))])
for (const name of ['blockRewardBtc', 'hashpriceUsdPerPhDay', 'hashpriceUsdPerThDay', 'hashpriceBtcPerPhDay', 'hashpriceBtcPerThDay']) fn(name, [mix(market)])
fn('expectedBtcPerDay', [mix(num(0, 1e6)), mix(market)])
for (const name of ['minerDaily', 'hashcostUsdPerThDay', 'breakevenBtcUsd', 'breakevenUsdPerKwh', 'gpuHourly', 'gpuDaily', 'actionValues', 'bestAction']) {
  fn(name, [model, mix(market), mix(terms)])
}
fn('joulesPerTh', [model])
fn('paybackDays', [mix(num(0, 1e6)), mix(num(-1e4, 1e4))])
fn('roi', [mix(num(0, 1e6)), mix(num(-1e4, 1e4)), mix(num(0, 1e4))])
T.minerDailyBatch = [null, [mix(market), cols(3), mix(terms)], (_, [m, [h, p, e], t]) => hcp.minerDailyBatch(m, h, p, e, t)]
T.gpuDailyBatch = [null, [mix(market), cols(4), mix(terms)], (_, [m, [p, i, u, e], t]) => hcp.gpuDailyBatch(m, p, i, u, e, t)]
T.minerCurtailBatch = [null, [mix(market), cols(4), mix(terms)], (_, [m, [h, p, s, e], t]) => hcp.minerCurtailBatch(m, h, p, s, e, t)]
ctor('Market', [mix(marketInit)])
method('Market', 'toJSON', okMarket, [])
ctor('Decider', [model, mix(fc.constantFrom('mine', 'serve', 'sleep', 'idle', 'x')), mix(record({ switchSeconds: num(0, 1e4), wearUsdPerSwitch: num(0, 100), minDwellSeconds: num(0, 1e5), overrideGainUsdPerHour: num(0, 100) })), mix(terms)])
method('Decider', 'step', () => new hcp.Decider('S21'), [mix(market), mix(num(0, 1e6))])
method('Decider', 'stepSeries', () => new hcp.Decider('H100_SXM'), [mix(fc.array(market, { maxLength: 4 })), mix(num(0, 1e6))])
const groups = mix(fc.array(record({ model, count: count(100_000) }), { maxLength: 3 }))
ctor('Site', [groups, mix(num(0, 1e5)), mix(terms)])
const site = () => new hcp.Site([{ model: 'S21', count: 100 }, { model: 'H100_SXM', count: 8 }], 300)
method('Site', 'plan', site, [mix(market)])
method('Site', 'planAlwaysOn', site, [mix(market)])

// router
ctor('Router', [fc.option(mix(record({ manual_clock: fc.boolean(), aging_seconds: num(0, 1e4), max_candidates: count(100) })), { nil: undefined })])
const id = mix(count(5))
const customer = mix(fc.constantFrom('acme', 'other', ''))
method('Router', 'addDevice', router, [mix(fc.constantFrom('g2', 'g1', '')), mix(fc.constantFrom('gpu', 'asic', 'x')), mix(fc.constantFrom('H100_SXM', 'S21', 'x')), mix(fc.constantFrom('s1', 's2')), mix(num(0, 200))])
method('Router', 'submit', router, [customer, mix(workloadType), mix(submitOptions)])
method('Router', 'trySubmit', router, [customer, mix(workloadType), mix(submitOptions)])
method('Router', 'submitBatch', router, [mix(fc.array(record({ customerId: fc.constantFrom('acme', 'b'), workloadType, priority: fc.integer({ min: 0, max: 11 }), gpus: count(9), gpuMemoryGb: num(0, 100), site: fc.constant('s1'), latencyBoundMs: num(0, 1e5), deadlineSeconds: num(0, 1e5) }), { maxLength: 4 }))])
T['Router#submitMany'] = [router, [customer, mix(workloadType), fc.integer({ min: 0, max: 5 }).chain((n) => fc.tuple(mix(f64(n)), mix(f64(n)), mix(fc.array(fc.option(fc.constant('s1')), { minLength: n, maxLength: n })), mix(f64(n)), mix(f64(n))))],
  (r, [c, w, [p, m, s, l, d]]) => r.submitMany(c, w, p, m, s, l, d)]
method('Router', 'dispatch', router, [])
method('Router', 'dispatchBatch', router, [mix(count(10))])
for (const name of ['start', 'complete', 'fail', 'cancel', 'workload']) method('Router', name, router, [id, fc.option(customer, { nil: undefined })])
method('Router', 'preempt', router, [id])
method('Router', 'completeBatch', router, [mix(f64(3))])
method('Router', 'customerWorkloads', router, [customer])
method('Router', 'setCustomer', router, [customer, mix(record({ weight: count(10), maxGpus: count(10), maxQueued: count(10) }))])
method('Router', 'customer', router, [customer])
for (const name of ['nowSeconds', 'counts', 'queueDepths', 'metrics', 'metricsText', 'age', 'workloadTypes', 'close']) method('Router', name, router, [])
const deviceId = mix(fc.constantFrom('g1', 'a1', 'x'))
method('Router', 'device', router, [deviceId])
method('Router', 'removeDevice', router, [deviceId])
method('Router', 'setDeviceAvailable', router, [deviceId, mix(fc.boolean())])
method('Router', 'setDeviceThermalHeadroom', router, [deviceId, mix(num(0, 1))])
method('Router', 'setDeviceProfitUsdPerHour', router, [deviceId, mix(num(-100, 100))])
method('Router', 'setSitePowerCapKw', router, [mix(fc.constantFrom('s1', 'x')), fc.option(mix(num(0, 1e4)), { nil: undefined })])
method('Router', 'siteLoadKw', router, [mix(fc.constantFrom('s1', 'x'))])
method('Router', 'resumeMiners', router, [mix(fc.constantFrom('s1', 'x'))])
method('Router', 'setMarket', router, [mix(market)])
method('Router', 'advanceTime', router, [mix(num(0, 1e6))])

// billing
stat('Charge', 'fromDict', [mix(fc.oneof(fc.constantFrom(...chargeDocs), record({ model: fc.constantFrom('standard', 'graduated', 'package', 'percentage'), amount: decimal, rate: decimal, tiers: fc.array(record({ up_to: fc.oneof(count(100), fc.constant(null)), per_unit_amount: decimal }), { maxLength: 2 }) })))])
const charge = () => hcp.Charge.fromDict(chargeDocs[0])
method('Charge', 'amount', charge, [mix(decimal)])
method('Charge', 'amountForEvents', () => hcp.Charge.fromDict(chargeDocs.find((c) => c.model === 'percentage') ?? chargeDocs[0]), [mix(fc.array(fc.oneof(decimal, record({ quantity: decimal, properties: fc.object({ maxDepth: 1 }) })), { maxLength: 4 }))])
stat('Plan', 'fromDict', [mix(fc.oneof(fc.constant(planDoc), record({ code: fc.string({ maxLength: 3 }), currency: fc.constantFrom('USD', 'EUR', 'XXX'), interval: fc.constantFrom('monthly', 'weekly', 'x'), meters: fc.constant(planDoc.meters), charges: fc.constant(planDoc.charges) })))])
method('Plan', 'instantFees', plan, [mix(usageEvent)])
method('Plan', 'estimate', plan, [mix(subscriptionDoc), mix(timestamp), mix(fc.array(record({ meter_code: fc.constantFrom('gpu_hours', 'requests'), quantity: decimal }), { maxLength: 3 }))])
const ledgerPath = fc.oneof(
  { arbitrary: fc.constantFrom(join(TMP, 'ledger.db'), join(TMP, 'missing-dir', 'ledger.db'), '/nonexistent-dir/x/ledger.db', TMP, ''), weight: 3 },
  { arbitrary: bad.filter((v) => typeof v !== 'string'), weight: 2 },
)
stat('Ledger', 'open', [ledgerPath, fc.option(mix(fc.constantFrom('full', 'normal', 'x')), { nil: undefined })])
stat('Ledger', 'memory', [])
method('Ledger', 'ingest', ledger, [mix(fc.array(mix(usageEvent), { maxLength: 4 }))])
for (const name of ['eventCount', 'customers', 'close']) method('Ledger', name, ledger, [])
method('Ledger', 'usage', ledger, [customer, mix(fc.array(fc.constantFrom('gpu_hours', 'requests'), { maxLength: 2 })), fc.option(mix(timestamp), { nil: undefined }), fc.option(mix(timestamp), { nil: undefined })])
const planArg = fc.oneof({ arbitrary: fc.constant(null).map(plan), weight: 4 }, { arbitrary: bad, weight: 1 })
for (const name of ['previewInvoice', 'issueInvoice']) method('Ledger', name, ledger, [planArg, mix(subscriptionDoc), mix(timestamp)])
method('Ledger', 'issueInvoices', ledger, [planArg, mix(fc.array(subscriptionDoc, { maxLength: 3 })), mix(timestamp)])
method('Ledger', 'invoices', ledger, [customer])
method('Ledger', 'budgetStatus', ledger, [planArg, mix(subscriptionDoc), mix(timestamp), mix(decimal), fc.option(mix(fc.array(decimal, { maxLength: 3 })), { nil: undefined })])
fn('roundAmount', [mix(decimal), mix(fc.constantFrom('USD', 'JPY', 'BHD', 'x')), fc.option(mix(fc.constantFrom('half_even', 'half_away_from_zero', 'x')), { nil: undefined })])
fn('validateEvent', [mix(usageEvent)])

// sim
ctor('H100', [fc.option(mix(fc.constantFrom('sxm', 'pcie', 'x')), { nil: undefined }), fc.option(mix(fc.oneof(record({ power: record({ limit_watts: num(100, 800) }) }), fc.object({ maxDepth: 2 }))), { nil: undefined })])
const h100 = () => new hcp.H100('sxm')
method('H100', 'decode', h100, [mix(modelSpec), mix(count(512)), fc.option(mix(count(100_000)), { nil: undefined })])
method('H100', 'switch', h100, [mix(record({ kvBytes: num(0, 1e11), weightsBytes: num(0, 1e11), hostMemory: fc.constantFrom('pinned', 'pageable', 'x'), warmContext: fc.boolean(), clearBytes: num(0, 1e11) }))])
method('H100', 'step', h100, [mix(num(1e-3, 1e4)), fc.option(mix(num(0, 1)), { nil: undefined }), fc.option(mix(num(0, 1)), { nil: undefined })])
method('H100', 'setPowerLimitWatts', h100, [mix(num(0, 1000))])
method('H100', 'spec', h100, [])
fn('syntheticMarket', [mix(count(1000)), mix(count(50)), mix(num(1, 86_400 * 30)), mix(syntheticConfig)])
fn('replayMarket', [mix(fc.constantFrom(DATA, '/nonexistent')), mix(fc.constantFrom('2024-01-01T00:00:00Z', 'x')), mix(count(20)), mix(num(60, 86_400))])
const serveConfig = fc.option(record({ maxBatch: count(300), maxTokensPerStep: count(9000), replicas: count(4), memoryUtilization: num(0, 1.2), seed: count(1000), dispatch: fc.constantFrom('least_requests', 'round_robin', 'x') }), { nil: undefined })
const server = () => new hcp.Server(new hcp.H100('sxm'), { params: 8e9, bytesPerParam: 2 })
const arrivals = fc.integer({ min: 0, max: 6 }).chain((n) => fc.tuple(mix(f64(n)), mix(f64(n)), mix(f64(n))))
ctor('Server', [mix(fc.constant(null).map(() => new hcp.H100('sxm'))), mix(modelSpec), mix(serveConfig)])
method('Server', 'run', server, [arrivals.map(([a]) => a), arrivals.map(([, p]) => p), arrivals.map(([, , o]) => o)])
method('Server', 'aggregate', server, [mix(record({ arrivalRatePerSecond: num(0, 1000), meanPromptTokens: num(0, 1e5), meanOutputTokens: num(0, 1e5), intervalSeconds: num(0, 1e6) }))])
method('Server', 'kvCapacityTokens', server, [])
method('Server', 'config', server, [])
fn('azureTrace', [mix(fc.constantFrom('conv', 'code', 'x'))])
fn('scaleTrace', [mix(f64(3)), mix(f64(3)), mix(f64(3)), mix(fc.option(record({ meanRatePerSecond: num(0, 100), durationSeconds: num(0, 3600), diurnalAmplitude: num(0, 2) }), { nil: undefined }))])
fn('syntheticRequests', [mix(fc.option(record({ ratePerSecond: num(0, 100), requests: count(200), burstiness: num(0, 30), seed: count(1000) }), { nil: undefined }))])
ctor('Fleet', [mix(fleetConfig)])
method('Fleet', 'addGpu', fleet, [fc.option(mix(fc.constantFrom('sxm', 'pcie', 'x')), { nil: undefined })])
method('Fleet', 'addMiner', fleet, [fc.option(mix(fc.constantFrom('S21', 'S21 XP', 'x')), { nil: undefined })])
method('Fleet', 'addMany', fleet, [mix(fc.constantFrom('sxm', 'x')), mix(count(4)), mix(fc.constantFrom('S21', 'x')), mix(count(4))])
method('Fleet', 'command', fleet, [mix(count(3)), fleetCommand])
method('Fleet', 'commandMany', fleet, [mix(fc.array(count(3), { maxLength: 3 })), fleetCommand])
for (const name of ['step', 'settle', 'series', 'events', 'devices', 'summary']) method('Fleet', name, fleet, [])
method('Fleet', 'run', fleet, [mix(count(30))])
method('Fleet', 'setAmbientC', fleet, [mix(num(-50, 60))])
method('Fleet', 'setMarketSynthetic', fleet, [mix(count(1000)), mix(syntheticConfig)])
method('Fleet', 'setMarketReplay', fleet, [mix(fc.constantFrom(DATA, '/nonexistent')), mix(fc.constantFrom('2024-01-01T00:00:00Z', 'x'))])
for (const name of ['state', 'gpuTelemetry']) method('Fleet', name, fleet, [mix(count(3))])
method('Fleet', 'dcgmMetrics', fleet, [fc.option(mix(fc.string({ maxLength: 5 })), { nil: undefined })])
method('Fleet', 'minerMetrics', fleet, [fc.option(mix(fc.string({ maxLength: 5 })), { nil: undefined })])
method('Fleet', 'cgminer', fleet, [mix(count(3)), fc.option(mix(fc.constantFrom('summary', 'stats', 'pools', 'version', 'devs', '{"command":"stats","new_api":true}', '{"command":', 'x')), { nil: undefined }), fc.option(mix(count(2e9)), { nil: undefined })])

// The `…Async` variants take the sync call's arguments: the same generators, awaited (a bad
// argument must reject the Promise, never throw).
for (const [sync, async] of [['syntheticMarket', 'syntheticMarketAsync'], ['replayMarket', 'replayMarketAsync'],
  ['Fleet#run', 'Fleet#runAsync'], ['Ledger#ingest', 'Ledger#ingestAsync'],
  ['Ledger#issueInvoices', 'Ledger#issueInvoicesAsync'], ['Server#run', 'Server#runAsync']]) {
  const [make, args] = T[sync]
  const name = async.split('#').pop()
  T[async] = [make, args, make ? (o, a) => o[name](...a) : (_, a) => hcp[name](...a), 'async']
}

// ------------------------------------------------------------------------- property

/** The path of the first non-finite number inside `v`, or null. */
function nonFinite(v, path = 'result', depth = 0) {
  if (typeof v === 'number') return Number.isFinite(v) ? null : `${path} = ${v}`
  if (depth > 32 || v === null || typeof v !== 'object') return null
  if (ArrayBuffer.isView(v)) {
    if (v instanceof Float64Array || v instanceof Float32Array) {
      const i = v.findIndex((x) => !Number.isFinite(x))
      return i < 0 ? null : `${path}[${i}] = ${v[i]}`
    }
    return null
  }
  for (const [k, x] of Object.entries(v)) {
    const bad = nonFinite(x, `${path}.${k}`, depth + 1)
    if (bad) return bad
  }
  return null
}

// Inputs as text; a Market shows its fields (fast-check would print a class instance as {}).
const plain = (v) => (v instanceof hcp.Market ? { Market: v.toJSON() } : Array.isArray(v) ? v.map(plain) : v)
const show = (a) => {
  try {
    return fc.stringify(plain(a)).slice(0, 600)
  } catch {
    return String(a)
  }
}

const tried = {}
const outcomes = {}
const findings = []

function check(name, make, call, args) {
  tried[name] = (tried[name] ?? 0) + 1
  const receiver = make ? make() : null
  let result
  try {
    result = call(receiver, args)
  } catch (err) {
    if (COLLECT && err instanceof Error && err.code === 'Internal' && /non-finite/.test(err.message)) {
      findings.push(`${name}(${show(args)}) threw Internal: ${err.message}`)
      return
    }
    if (!(err instanceof Error) || !KINDS.has(err.code)) {
      assert.fail(`${name}(${show(args)}) threw ${err?.constructor?.name} code=${err?.code}: ${String(err?.message).slice(0, 300)}`)
    }
    outcomes[name] = outcomes[name] ?? { ok: 0, errors: 0 }
    outcomes[name].errors++
    return
  }
  const bad = nonFinite(result)
  if (bad) {
    const finding = `${name}(${show(args)}) returned a non-finite number: ${bad}`
    if (!COLLECT) assert.fail(finding)
    findings.push(finding)
    return
  }
  outcomes[name] = outcomes[name] ?? { ok: 0, errors: 0 }
  outcomes[name].ok++
}

test('every export is fuzzed', () => {
  const missing = []
  for (const [name, value] of Object.entries(hcp)) {
    if (typeof value !== 'function') continue
    const isClass = Object.getOwnPropertyNames(value.prototype ?? {}).length > 1
    if (!isClass) {
      if (!T[name]) missing.push(name)
      continue
    }
    if (!T[`${name}.new`] && !['Charge', 'Plan', 'Ledger'].includes(name)) missing.push(`${name}.new`)
    for (const s of Object.getOwnPropertyNames(value)) {
      if (typeof value[s] === 'function' && !T[`${name}.${s}`]) missing.push(`${name}.${s}`)
    }
    for (const m of Object.getOwnPropertyNames(value.prototype)) {
      const d = Object.getOwnPropertyDescriptor(value.prototype, m)
      if (m !== 'constructor' && typeof d.value === 'function' && !T[`${name}#${m}`]) missing.push(`${name}#${m}`)
    }
  }
  assert.deepEqual(missing, [], 'exports without a fuzz target')
})

for (const [name, [make, args, call, kind]] of Object.entries(T)) {
  test(`fuzz ${name}`, async () => {
    if (kind !== 'async') {
      fc.assert(fc.property(fc.tuple(...args), (a) => check(name, make, call, a)), { seed: SEED, numRuns: RUNS, endOnFailure: true })
      return
    }
    // An async export returns a Promise for every input; its settled value obeys the same
    // property. The inputs are drawn synchronously and the Promises awaited after (fast-check's
    // async runner prints every input, which overflows the stack on the 30,000-deep ones).
    const pending = []
    const start = (a) => {
      const p = call(make ? make() : null, a)
      if (!(p instanceof Promise)) assert.fail(`${name}(${show(a)}) did not return a Promise`)
      pending.push(p.then((v) => ({ v }), (e) => ({ e })).then((r) => check(name, null, () => {
        if ('e' in r) throw r.e
        return r.v
      }, a)))
    }
    fc.assert(fc.property(fc.tuple(...args), start), { seed: SEED, numRuns: RUNS, endOnFailure: true })
    await Promise.all(pending)
  })
}

test('fuzz summary', () => {
  const total = Object.values(tried).reduce((a, b) => a + b, 0)
  if (process.env.HCP_FUZZ_REPORT) {
    const rows = Object.keys(tried).sort().map((k) => `${k}\t${tried[k]}\t${outcomes[k]?.ok ?? 0}\t${outcomes[k]?.errors ?? 0}`)
    console.log(`fuzz: seed ${SEED}, ${RUNS} runs per entry point, ${Object.keys(tried).length} entry points, ${total} calls, no crash\n` +
      `entry point\tcalls\treturned\ttyped errors\n${rows.join('\n')}`)
  }
  assert.ok(total > 0)
  assert.deepEqual(findings, [], `non-finite results (core bugs, with their inputs):\n${findings.join('\n')}`)
})
