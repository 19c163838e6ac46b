// Router from Node: errors as err.code, bulk calls with typed arrays, close().
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const hcp = createRequire(import.meta.url)('../hcp.js')

function fleet(n = 4, config = {}) {
  const r = new hcp.Router(config)
  for (let i = 0; i < n; i++) r.addDevice(`gpu-${i}`, 'gpu', 'H100_SXM', 'austin', 80)
  return r
}

test('submit, dispatch, complete, metrics', () => {
  const r = fleet()
  const id = r.submit('acme', 'ai_inference_realtime', { priority: 1, gpuMemoryGb: 20 })
  const a = r.dispatch()
  assert.equal(a.workloadId, id)
  assert.equal(a.deviceId, 'gpu-0')
  r.complete(id)
  assert.equal(r.workload(id).state, 'completed')
  assert.equal(r.dispatch(), null)
  const text = r.metricsText()
  for (const name of ['router_workloads_queued_total', 'router_queue_depth', 'router_decision_duration_seconds',
    'orchestrator_allocations_total', 'orchestrator_allocation_duration_seconds', 'orchestrator_active_workloads']) {
    assert.ok(text.includes(name), name)
  }
})

test('bad input and unknown ids give the documented codes', () => {
  const r = fleet()
  const code = (f) => {
    try {
      f()
    } catch (e) {
      return e.code
    }
    return 'no error'
  }
  assert.equal(code(() => r.submit('acme', 'nope')), 'InvalidInput')
  assert.equal(code(() => r.submit('acme', 'ai_inference_batch', { priority: 0 })), 'InvalidInput')
  assert.equal(code(() => r.submit('acme', 'ai_inference_batch', { priority: 11 })), 'InvalidInput')
  assert.equal(code(() => r.submit('acme', 'ai_inference_batch', { gpuMemoryGb: -1 })), 'InvalidInput')
  assert.equal(code(() => r.complete(12345)), 'NotFound')
  assert.equal(code(() => r.complete(-1)), 'NotFound')
  assert.equal(code(() => r.setDeviceAvailable('nope', false)), 'NotFound')
  assert.equal(code(() => new hcp.Router({ max_candidates: 0 })), 'InvalidInput')
  assert.equal(code(() => new hcp.Router('{not json')), 'InvalidInput')
  assert.equal(code(() => r.submit(42, 'ai_inference_batch')), 'InvalidInput')
  assert.equal(code(() => r.complete('seven')), 'InvalidInput')
  const id = r.submit('acme', 'ai_inference_batch')
  assert.equal(code(() => r.start(id)), 'IllegalTransition')
  assert.equal(code(() => r.cancel(id, 'globex')), 'NotFound')
  r.close()
  r.close()
  assert.equal(r.closed, true)
  assert.equal(code(() => r.dispatch()), 'Closed')
})

test('batch calls cross once with typed arrays', () => {
  const r = fleet(8)
  const priorities = Float64Array.from({ length: 100 }, (_, i) => 1 + (i % 10))
  const ids = r.submitMany('acme', 'ai_inference_batch', priorities, new Float64Array(100).fill(1))
  assert.ok(ids instanceof Float64Array && ids.length === 100 && ids.every((x) => x > 0))
  const more = r.submitBatch([
    { customerId: 'b', workloadType: 'ai_inference_batch', gpuMemoryGb: 1 },
    { customerId: 'b', workloadType: 'nope' },
  ])
  assert.ok(more[0] > 0)
  assert.equal(more[1], -1)
  const out = r.dispatchBatch(1000)
  assert.equal(out.workloadIds.length, 101)
  assert.equal(out.deviceIds.length, 101)
  const ok = r.completeBatch(out.workloadIds)
  assert.ok(ok.every((x) => x === 1))
  const c = r.counts()
  assert.deepEqual([c.submitted, c.completed, c.rejected], [102, 101, 1])
})
