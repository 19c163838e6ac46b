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

test('trySubmit reports the id and reason of a rejected submission', () => {
  const r = fleet(1, { manual_clock: true, customers: { a: { max_queued: 1 } } })
  assert.deepEqual(r.trySubmit('a', 'ai_inference_batch'), { workloadId: 1, state: 'queued' })
  const no = r.trySubmit('a', 'ai_inference_batch', { site: 'austin' })
  assert.equal(no.workloadId, 2)
  assert.equal(no.state, 'rejected')
  assert.ok(no.reason.startsWith('max_queued'))
  assert.equal(r.workload(2).reason, no.reason)
  assert.throws(() => r.submit('a', 'ai_inference_batch'), (e) => e.code === 'CapacityExceeded' && /workload 3 rejected/.test(e.message))
  assert.deepEqual(r.customerWorkloads('a').map((w) => w.id), [1, 2, 3])
  assert.deepEqual(r.customerWorkloads('nobody'), [])
})

test('customers: weight and quotas change at run time; bad values are InvalidInput', () => {
  const r = fleet(2, { manual_clock: true })
  const c0 = r.customer('acme')
  assert.equal(c0.weight, 1)
  assert.equal(c0.maxGpus, undefined)
  r.setCustomer('acme', { weight: 5, maxGpus: 1 })
  r.submitBatch([{ customerId: 'acme', workloadType: 'model_training' }, { customerId: 'acme', workloadType: 'model_training' }])
  assert.notEqual(r.dispatch(), null)
  assert.equal(r.dispatch(), null)
  const c = r.customer('acme')
  assert.deepEqual([c.weight, c.maxGpus, c.queued, c.active, c.gpusHeld, c.submitted], [5, 1, 1, 1, 1, 2])
  r.setCustomer('acme', { weight: 5 })
  assert.notEqual(r.dispatch(), null)
  for (const bad of [{ weight: 0 }, { weight: 2e6 }, { weight: -1 }, { maxGpus: -1 }, { maxQueued: 2 ** 40 }]) {
    assert.throws(() => r.setCustomer('acme', bad), (e) => e.code === 'InvalidInput', JSON.stringify(bad))
  }
  assert.throws(() => r.setCustomer('acme', { weight: 'heavy' }), (e) => e.code === 'InvalidInput')
  assert.throws(() => r.customer(''), (e) => e.code === 'InvalidInput')
  assert.equal(r.customer('acme').weight, 5)
})

test('removeDevice requeues its work; preemptions and the clock are visible', () => {
  const r = fleet(2, { manual_clock: true })
  const id = r.submit('acme', 'model_training')
  assert.equal(r.dispatch().deviceId, 'gpu-0')
  assert.equal(r.workload(id).preemptions, 0)
  assert.deepEqual(r.removeDevice('gpu-0'), [id])
  const w = r.workload(id)
  assert.deepEqual([w.state, w.preemptions, w.deviceIds, w.reason], ['queued', 1, [], undefined])
  assert.equal(r.dispatch().deviceId, 'gpu-1')
  assert.throws(() => r.removeDevice('gpu-0'), (e) => e.code === 'NotFound')
  assert.equal(r.nowSeconds(), 0)
  r.advanceTime(2.5)
  assert.equal(r.nowSeconds(), 2.5)
})

test('submitMany and submitBatch take site, latency bound and deadline per request', () => {
  const r = new hcp.Router({ manual_clock: true })
  r.addDevice('a0', 'gpu', 'H100_SXM', 'a')
  r.addDevice('b0', 'gpu', 'H100_SXM', 'b')
  const ids = r.submitMany('acme', 'ai_inference_batch', new Float64Array([5, 5, 5, 5]), new Float64Array(4).fill(1),
    ['b', null, 'a', 'nowhere'], new Float64Array([250, NaN, 1000, 1]), new Float64Array([NaN, 30, NaN, 1]))
  assert.deepEqual(Array.from(ids), [1, 2, 3, -1])
  assert.ok(r.workload(4).reason.startsWith('site'))
  const bounds = (i) => [r.workload(i).latencyBoundMs ?? null, r.workload(i).deadlineSeconds ?? null]
  assert.deepEqual([bounds(1), bounds(2), bounds(3)], [[250, null], [null, 30], [1000, null]])
  assert.equal(r.dispatch().deviceId, 'b0')
  const more = r.submitBatch([{ customerId: 'acme', workloadType: 'ai_inference_batch', site: 'a', latencyBoundMs: 5, deadlineSeconds: 9 }])
  assert.deepEqual(bounds(more[0]), [5, 9])
  assert.equal(r.workload(more[0]).state, 'queued')
  const code = (f) => {
    try {
      f()
    } catch (e) {
      return e.code
    }
    return 'no error'
  }
  const p2 = new Float64Array([5, 5])
  assert.equal(code(() => r.submitMany('acme', 'ai_inference_batch', p2, null, ['a'])), 'InvalidInput')
  assert.equal(code(() => r.submitMany('acme', 'ai_inference_batch', p2, null, null, new Float64Array(3))), 'InvalidInput')
  assert.equal(code(() => r.submitMany('acme', 'ai_inference_batch', p2, null, [1, 2])), 'InvalidInput')
  assert.equal(r.submitMany('acme', 'ai_inference_batch', p2, null, null, new Float64Array([-1, 1]))[0], -1)
})
