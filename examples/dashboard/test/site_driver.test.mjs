// The dashboard's site driver without a browser: what the views show must follow from hcp's
// answers — work billed exactly for the hours it ran, one customer's work invisible to another,
// the router's cap held, the same seed giving the same run, bad input refused.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { PLAN, SiteDriver } from '../site_driver.mjs'

const QUIET = { solo: { name: 'Solo', budgetUsd: 100, demand: [] }, other: { name: 'Other', budgetUsd: 100, demand: [] } }

function until(driver, done, maxTicks = 500) {
  for (let i = 0; i < maxTicks && !done(); i++) driver.step()
  assert.ok(done(), `not reached within ${maxTicks} ticks`)
}

test('a job runs its hours and is billed exactly that many GPU-hours at the plan price', () => {
  const d = new SiteDriver({ customers: QUIET, start: '2024-09-01T12:00:00Z' })
  try {
    const { workloadId, state } = d.submit('solo', 'ai_inference_batch', { gpus: 2, hours: 1.5 })
    assert.equal(state, 'queued')
    d.step()
    assert.equal(d.router.workload(workloadId).state, 'running')
    assert.equal(d.fleet.state(d.fleetIndex.get(d.router.workload(workloadId).deviceIds[0])), 'serving', 'the fleet serves on the GPU the router chose')
    until(d, () => d.router.workload(workloadId).state === 'completed')
    until(d, () => d.timeSeconds % 3600 === 0) // the hour's usage reaches the ledger
    const usage = d.ledger.usage('solo', ['gpu_hours'])
    assert.equal(usage.reduce((sum, e) => sum + Number(e.quantity), 0), 3)
    const invoice = d.customerSnapshot('solo').openInvoice
    assert.equal(invoice.lines[0].units, '3')
    assert.equal(invoice.lines[0].amount, (3 * Number(PLAN.charges[0].tiers[0].per_unit_amount)).toFixed(2))
    assert.equal(d.ledger.usage('other', ['gpu_hours']).length, 0)
  } finally {
    d.close()
  }
})

test('a customer sees and cancels only its own work', () => {
  const d = new SiteDriver({ customers: QUIET })
  try {
    const mine = d.submit('solo', 'model_training', { gpus: 4, hours: 10 }).workloadId
    const theirs = d.submit('other', 'ai_inference_batch', { hours: 10 }).workloadId
    d.step()
    const view = d.customerSnapshot('solo')
    assert.deepEqual(view.workloads.map((w) => w.id), [mine])
    assert.throws(() => d.cancel('solo', theirs), (e) => e.code === 'NotFound')
    d.cancel('solo', mine)
    assert.equal(d.router.workload(mine).state, 'cancelled')
    assert.equal(d.router.workload(theirs).state, 'running')
    assert.throws(() => d.customerSnapshot('nobody'), (e) => e.code === 'NotFound')
  } finally {
    d.close()
  }
})

test('over a busy day the router holds its cap and the same seed gives the same run', () => {
  const run = () => {
    const d = new SiteDriver({ seed: 5, start: '2024-08-20T00:00:00Z' })
    let worst = -Infinity
    for (let i = 0; i < 96; i++) {
      d.step()
      worst = Math.max(worst, d.router.siteLoadKw('main') - d.deviceCapKw)
    }
    const s = d.snapshot()
    d.close()
    return { worst, s }
  }
  const a = run()
  const b = run()
  assert.ok(a.worst <= 1e-6, `router load above its cap by ${a.worst} kW`)
  assert.ok(a.s.queue.counts.completed > 50, 'the demo customers kept the site busy')
  assert.ok(a.s.money.miningRevenueUsd > 0 && a.s.money.gpuRevenueUsd > 0 && a.s.money.energyCostUsd > 0)
  assert.ok(a.s.alerts.some((x) => /Plan: 1000 of 1000 miners asleep/.test(x.message)), 'the 2024-08-20 evening spike put every miner to sleep')
  assert.deepEqual(a.s, b.s)
})

test('bad input is refused with the kind as code', () => {
  const d = new SiteDriver({ customers: QUIET })
  try {
    assert.throws(() => d.setScenario('moon'), (e) => e.code === 'InvalidInput')
    assert.throws(() => d.submit('solo', 'bitcoin_mining'), (e) => e.code === 'InvalidInput')
    assert.throws(() => d.submit('solo', 'ai_inference_batch', { hours: -1 }), (e) => e.code === 'InvalidInput')
    assert.throws(() => d.submit('nobody', 'ai_inference_batch'), (e) => e.code === 'NotFound')
    const r = d.submit('solo', 'ai_inference_batch', { priority: 11 })
    assert.equal(r.state, 'rejected')
    assert.match(r.reason, /priority/)
    d.setScenario('spike')
    d.step()
    assert.equal(d.snapshot().pricesAsOf, '2024-08-20T16:00:00Z')
    assert.throws(() => new SiteDriver({ tickSeconds: 90 }), /tickSeconds/)
  } finally {
    d.close()
  }
})
