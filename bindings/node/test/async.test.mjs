// The `…Async` variants (napi AsyncTasks on the libuv pool): same results as the sync calls, the
// event loop keeps running while they compute, and errors reject with the sync call's code.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { dirname, join } from 'node:path'

const hcp = createRequire(import.meta.url)('../hcp.js')
const DATA = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'data', 'market')

const fleet = (seed) => {
  const f = new hcp.Fleet({ dtSeconds: 60, seed })
  f.addMany('sxm', 4, 'S21', 12)
  f.setMarketSynthetic(5)
  f.command(0, { command: 'sleep' })
  return f
}

test('Fleet.runAsync gives the same fleet as run', async () => {
  const a = fleet(3)
  const b = fleet(3)
  a.run(300)
  const p = b.runAsync(300)
  assert.ok(p instanceof Promise)
  assert.equal(await p, undefined)
  assert.deepEqual(b.series(), a.series())
  assert.deepEqual(b.summary(), a.summary())
  assert.equal(b.timeSeconds, a.timeSeconds)
})

test('the event loop keeps running during a long runAsync', async () => {
  const f = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
  f.addMany('sxm', 200, 'S21', 800)
  let t = performance.now()
  f.run(5)
  const perStep = (performance.now() - t) / 5
  const steps = Math.max(20, Math.ceil(400 / perStep)) // about 0.4 s of work
  let ticks = 0
  const timer = setInterval(() => ticks++, 5)
  t = performance.now()
  await f.runAsync(steps)
  const ms = performance.now() - t
  clearInterval(timer)
  // A blocked loop could not have fired the interval at all while the steps ran.
  assert.ok(ticks >= 3, `timer fired ${ticks} times in ${ms.toFixed(0)} ms`)
})

test('market series async equal the sync ones', async () => {
  assert.deepEqual(await hcp.syntheticMarketAsync(7, 200, 3600, { btcVolatilityPerSqrtYear: 0.5 }),
    hcp.syntheticMarket(7, 200, 3600, { btcVolatilityPerSqrtYear: 0.5 }))
  assert.deepEqual(await hcp.replayMarketAsync(DATA, '2024-01-01T00:00:00Z', 100, 3600),
    hcp.replayMarket(DATA, '2024-01-01T00:00:00Z', 100, 3600))
})

test('bad input rejects with InvalidInput naming the field', async () => {
  const f = fleet(1)
  const invalid = (field) => (e) => e instanceof Error && e.code === 'InvalidInput' && e.message.includes(field)
  await assert.rejects(f.runAsync(-1), invalid('steps'))
  await assert.rejects(f.runAsync(2.5), invalid('steps'))
  await assert.rejects(f.runAsync('x'), invalid('steps'))
  await assert.rejects(hcp.syntheticMarketAsync(1, 10, 0), invalid('dtSeconds'))
  await assert.rejects(hcp.syntheticMarketAsync(1, 10, 60, { btcVolatilityPerSqrtYear: NaN }), invalid('btc'))
  await assert.rejects(hcp.replayMarketAsync(DATA, 'x', 10, 60), invalid('start'))
  await assert.rejects(hcp.replayMarketAsync('/nonexistent', '2024-01-01T00:00:00Z', 10, 60), (e) => e.code === 'InvalidInput' || e.code === 'Storage' || e.code === 'NotFound')
  const ledger = hcp.Ledger.memory()
  await assert.rejects(ledger.ingestAsync([{ eventId: 'e', customerId: 'c', meterCode: 'm', quantity: 'x', timestamp: 'y' }]),
    (e) => e.code === 'InvalidInput')
  const server = new hcp.Server(new hcp.H100('sxm'), { params: 8e9, bytesPerParam: 2 })
  await assert.rejects(server.runAsync([0, 1], [10, 2.5], [5, 5]), invalid('promptTokens[1]'))
  // A sparse array's length is checked before N-API reserves it (this aborted the process).
  const sparse = new Array(2 ** 32 - 1)
  assert.throws(() => server.run(sparse, [1], [1]), invalid('arrivalSeconds'))
  await assert.rejects(server.runAsync([0], [1], [1], { priority: sparse }), invalid('priority'))
  // An error found by the core on the pool rejects with the sync call's code and message.
  let syncErr
  try {
    server.run([1, 0], [10, 10], [5, 5])
  } catch (e) {
    syncErr = e
  }
  assert.ok(syncErr)
  await assert.rejects(server.runAsync([1, 0], [10, 10], [5, 5]), (e) => e.code === syncErr.code && e.message === syncErr.message)
})

test('ledger ingest and invoicing async equal the sync calls', async () => {
  const plan = hcp.Plan.fromDict({
    code: 'gpu',
    currency: 'USD',
    meters: [{ code: 'gpu_hours', aggregation: 'sum' }],
    charges: [{ meter_code: 'gpu_hours', model: 'standard', amount: '2.49' }],
  })
  const events = (n) => Array.from({ length: n }, (_, i) => ({
    eventId: `e${i}`, customerId: `c${i % 5}`, meterCode: 'gpu_hours', quantity: '1.5',
    timestamp: '2026-11-03T00:00:00Z',
  }))
  const subs = Array.from({ length: 5 }, (_, i) => ({ customer_id: `c${i}`, start: '2026-11-01' }))
  const a = hcp.Ledger.memory()
  const b = hcp.Ledger.memory()
  assert.equal(a.ingest(events(50)), 50)
  assert.equal(await b.ingestAsync(events(50)), 50)
  assert.equal(await b.ingestAsync(events(50)), 0)
  const sync = a.issueInvoices(plan, subs, '2026-11-15T00:00:00Z')
  const viaPool = await b.issueInvoicesAsync(plan, subs, '2026-11-15T00:00:00Z')
  assert.deepEqual(viaPool, sync)
  assert.equal(viaPool.length, 5)
  await assert.rejects(b.issueInvoicesAsync(plan, subs, '2026-11-15T00:00:00Z'), (e) => e.code === 'Conflict')
  b.close()
  await assert.rejects(b.ingestAsync(events(1)), (e) => e.code === 'Closed')
})

test('Server.runAsync equals run', async () => {
  const server = new hcp.Server(new hcp.H100('sxm'), { params: 8e9, bytesPerParam: 2 }, { seed: 1 })
  const n = 200
  const arrivals = Float64Array.from({ length: n }, (_, i) => i * 0.05)
  const prompt = Float64Array.from({ length: n }, (_, i) => 100 + (i % 7) * 10)
  const output = Float64Array.from({ length: n }, (_, i) => 20 + (i % 5))
  assert.deepEqual(await server.runAsync(arrivals, prompt, output), server.run(arrivals, prompt, output))
})

test('a sync call waits for a running task on the same fleet', async () => {
  const f = fleet(9)
  const p = f.runAsync(200)
  f.run(1) // waits for the task's lock, then steps once more
  await p
  assert.equal(f.series().timeSeconds.length, 201)
})
