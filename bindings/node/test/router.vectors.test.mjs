// Replays tests/vectors/router.json, the scenarios the Rust, Python and Go suites replay too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { load, camel, close } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')
const doc = load('router')

function submitOptions(s) {
  return {
    priority: s.priority ?? undefined,
    gpus: s.gpus ?? undefined,
    gpuMemoryGb: s.gpu_memory_gb ?? undefined,
    site: s.site ?? undefined,
    latencyBoundMs: s.latency_bound_ms ?? undefined,
    deadlineSeconds: s.deadline_seconds ?? undefined,
  }
}

function run(r, s) {
  const id = s.workload_id ?? 0
  const cust = s.customer_id ?? undefined
  switch (s.op) {
    case 'add_device':
      return r.addDevice(s.device_id, s.kind, s.model, s.site, s.gpu_memory_gb ?? undefined)
    case 'submit':
      return { workload_id: r.submit(s.customer_id, s.workload_type, submitOptions(s)) }
    case 'try_submit':
      // An absent reason comes back as undefined; the vectors spell it null.
      return { reason: null, ...r.trySubmit(s.customer_id, s.workload_type, submitOptions(s)) }
    case 'dispatch':
      return r.dispatch()
    case 'dispatch_batch':
      return { workload_ids: Array.from(r.dispatchBatch(s.max).workloadIds) }
    case 'start':
    case 'complete':
    case 'fail':
    case 'cancel':
      return r[s.op](id, cust)
    case 'preempt':
      return r.preempt(id)
    case 'workload':
      // Unset optional fields come back as undefined; the vectors spell them null.
      return { latencyBoundMs: null, deadlineSeconds: null, reason: null, ...r.workload(id, cust) }
    case 'counts':
      return r.counts()
    case 'queue_depths':
      return { depths: r.queueDepths() }
    case 'device':
      return r.device(s.device_id)
    case 'advance_time':
      return r.advanceTime(s.seconds)
    case 'age':
      return { promoted: r.age() }
    case 'set_market':
      return r.setMarket(new hcp.Market(Object.fromEntries(Object.entries(s.market).map(([k, v]) => [camel(k), v]))))
    case 'set_site_power_cap_kw':
      return r.setSitePowerCapKw(s.site, s.power_cap_kw ?? null)
    case 'site_load_kw':
      return { kw: r.siteLoadKw(s.site) }
    case 'resume_miners':
      return { device_ids: r.resumeMiners(s.site) }
    case 'set_device_available':
      return r.setDeviceAvailable(s.device_id, s.available)
    case 'remove_device':
      return { workload_ids: r.removeDevice(s.device_id) }
    case 'set_customer':
      return r.setCustomer(s.customer_id, {
        weight: s.weight,
        maxGpus: s.max_gpus ?? undefined,
        maxQueued: s.max_queued ?? undefined,
      })
    case 'customer':
      // Absent quotas come back as undefined; the vectors spell them null.
      return { maxGpus: null, maxQueued: null, ...r.customer(s.customer_id) }
    case 'customer_workloads':
      return { workload_ids: r.customerWorkloads(s.customer_id).map((w) => w.id) }
    case 'now_seconds':
      return { seconds: r.nowSeconds() }
    default:
      throw new Error(`unknown op ${s.op}`)
  }
}

for (const sc of doc.scenarios) {
  test(`router vectors: ${sc.name}`, () => {
    if ('config_error' in sc) {
      assert.throws(() => new hcp.Router(sc.config), (e) => e.code === sc.config_error)
      return
    }
    const r = new hcp.Router(sc.config)
    sc.steps.forEach((s, i) => {
      const where = `step ${i} ${JSON.stringify(s)}`
      if ('error' in s) {
        assert.throws(() => run(r, s), (e) => e.code === s.error, where)
        return
      }
      const got = run(r, s)
      if (!('expect' in s)) return
      if (s.expect === null) {
        assert.equal(got, null, where)
        return
      }
      close(got, s.expect, 0, 1e-9, where)
    })
    const c = r.counts()
    assert.equal(c.submitted, c.queued + c.assigned + c.running + c.completed + c.failed + c.cancelled + c.rejected)
  })
}
