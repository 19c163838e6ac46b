// Server from JavaScript: the names users call, TypedArray columns in input order, conservation,
// determinism and the documented errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const hcp = createRequire(import.meta.url)('../hcp.js')
const llama8b = (config = {}) =>
  new hcp.Server(new hcp.H100('sxm'), { params: 8e9, bytesPerParam: 2 }, { maxBatch: 256, seed: 1, ...config })

test('the conversational trace runs and the columns add up', () => {
  const t = hcp.azureTrace('conv')
  assert.equal(t.arrivalSeconds.length, 19366)
  const n = 400
  const r = llama8b().run(t.arrivalSeconds.subarray(0, n), t.promptTokens.subarray(0, n), t.outputTokens.subarray(0, n))
  assert.ok(r.ttftSeconds instanceof Float64Array && r.ttftSeconds.length === n)
  let tokens = 0
  for (let i = 0; i < n; i++) {
    assert.ok(r.queueSeconds[i] <= r.ttftSeconds[i] && r.ttftSeconds[i] <= r.e2eSeconds[i])
    tokens += t.outputTokens[i]
  }
  assert.ok(Math.abs(r.outputTokensPerSecond - tokens / r.durationSeconds) < 1e-9 * tokens)
  assert.ok(Math.abs(r.energyJoules - r.meanPowerWatts * r.durationSeconds) < 1e-6 * r.energyJoules)
  assert.ok(r.meanPowerWatts > 125 && r.meanPowerWatts <= 700)
  assert.equal(r.summary.outputTokens, tokens)
  assert.ok(r.summary.ttftSeconds.p50 <= r.summary.ttftSeconds.p99)
})

test('replicas, series and determinism', () => {
  const s = hcp.syntheticRequests({ seed: 3, requests: 300, ratePerSecond: 40, burstiness: 2 })
  const a = llama8b({ replicas: 3 }).run(s.arrivalSeconds, s.promptTokens, s.outputTokens)
  const b = llama8b({ replicas: 3 }).run(Array.from(s.arrivalSeconds), Array.from(s.promptTokens), Array.from(s.outputTokens))
  assert.deepEqual(Array.from(a.e2eSeconds), Array.from(b.e2eSeconds))
  assert.deepEqual(new Set(a.replica), new Set([0, 1, 2]))
  const energy = a.series.energyJoules.reduce((x, y) => x + y, 0)
  assert.ok(Math.abs(energy - a.energyJoules) < 1e-9 * energy)
})

test('bad input names the field', () => {
  const server = llama8b()
  const expect = (fn, code, field) =>
    assert.throws(fn, (e) => {
      assert.equal(e.code, code, e.message)
      assert.ok(e.message.startsWith(`${field}:`), e.message)
      return true
    })
  expect(() => server.run([-1], [1], [1]), 'InvalidInput', 'arrival_seconds[0]')
  expect(() => server.run([NaN], [1], [1]), 'InvalidInput', 'arrival_seconds[0]')
  expect(() => server.run([1, 0], [1, 1], [1, 1]), 'InvalidInput', 'arrival_seconds[1]')
  expect(() => server.run([0], [0], [1]), 'InvalidInput', 'prompt_tokens[0]')
  expect(() => server.run([0], [1.5], [1]), 'InvalidInput', 'promptTokens[0]')
  expect(() => server.run([0], [5], [-2]), 'InvalidInput', 'output_tokens[0]')
  expect(() => llama8b({ maxBatch: 0 }), 'InvalidInput', 'max_batch')
  expect(() => llama8b({ maxTokensPerStep: 0 }), 'InvalidInput', 'max_tokens_per_step')
  expect(() => new hcp.Server(new hcp.H100('sxm'), { params: 70e9, bytesPerParam: 2 }), 'OutOfMemory', 'model')
  expect(() => hcp.azureTrace('chat'), 'InvalidInput', 'trace')
})

test('aggregate model and scaled trace', () => {
  const server = llama8b({ replicas: 8 })
  const agg = server.aggregate({ arrivalRatePerSecond: 100, meanPromptTokens: 1155, meanOutputTokens: 211, intervalSeconds: 3600 })
  assert.equal(agg.saturated, false)
  assert.ok(Math.abs(agg.outputTokensPerSecond - 21100) < 1e-6)
  const t = hcp.azureTrace('code')
  const day = hcp.scaleTrace(t.arrivalSeconds, t.promptTokens, t.outputTokens, {
    meanRatePerSecond: 2,
    durationSeconds: 86400,
    diurnalAmplitude: 0.5,
  })
  assert.ok(Math.abs(day.arrivalSeconds.length / 86400 - 2) < 0.05)
})
