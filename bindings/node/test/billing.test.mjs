// hcp billing from Node: replays tests/vectors/billing.json (the cases the Rust, Python and Go
// suites replay too) and checks the ledger's durability, errors and decimal-string amounts.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { load } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')
const doc = load('billing')

// Decimal strings compared by value: normalise "10.50" and "10.5" alike without floats.
function normal(s) {
  let [int, frac = ''] = String(s).replace(/^\+/, '').split('.')
  const neg = int.startsWith('-')
  int = int.replace('-', '').replace(/^0+(?=\d)/, '')
  frac = frac.replace(/0+$/, '')
  const body = frac ? `${int}.${frac}` : int
  return neg && body !== '0' ? `-${body}` : body
}

function expectError(c, fn) {
  assert.throws(fn, (err) => {
    assert.equal(err.code, c.expected_error, `${c.name}: ${err.message}`)
    if (c.error_field) assert.ok(err.message.startsWith(`${c.error_field}:`), `${c.name}: ${err.message}`)
    return true
  })
}

test('charge vectors', () => {
  for (const c of doc.charges) {
    const run = () => {
      const charge = hcp.Charge.fromDict(c.charge)
      return 'events' in c ? charge.amountForEvents(c.events) : charge.amount(c.units)
    }
    if (c.expected_error) expectError(c, run)
    else {
      const got = run()
      assert.equal(typeof got, 'string')
      assert.equal(normal(got), normal(c.expected), c.name)
    }
  }
})

test('rounding vectors', () => {
  for (const c of doc.rounding) assert.equal(hcp.roundAmount(c.amount, c.currency, c.rounding), c.expected)
})

test('event and plan vectors', () => {
  for (const c of doc.events) {
    if (c.expected_error) expectError(c, () => hcp.validateEvent(c.event))
    else assert.equal(typeof hcp.validateEvent(c.event).quantity, 'string')
  }
  for (const c of doc.plans) expectError(c, () => hcp.Plan.fromDict(c.plan))
})

function checkInvoice(name, inv, want) {
  assert.equal(inv.lines.length, want.lines.length, `${name}: ${JSON.stringify(inv.lines)}`)
  want.lines.forEach((w, i) => {
    const g = inv.lines[i]
    assert.equal(g.kind, w.kind, name)
    assert.equal(g.charge, w.charge, name)
    if (w.group) assert.deepEqual({ ...g.group }, w.group, name)
    if (w.units !== undefined) assert.equal(normal(g.units), normal(w.units), name)
    assert.equal(normal(g.preciseAmount), normal(w.precise_amount), name)
    assert.equal(g.amount, w.amount, name)
    if (w.service_period_start) assert.equal(g.servicePeriodStart, w.service_period_start, name)
  })
  for (const [k, js] of [['subtotal', 'subtotal'], ['discount_total', 'discountTotal'], ['tax', 'tax'], ['credits', 'credits'], ['total', 'total']]) {
    assert.equal(inv[js], want[k], `${name}: ${k}`)
  }
  if (want.period_start) assert.equal(inv.periodStart, want.period_start)
  if (want.period_end) assert.equal(inv.periodEnd, want.period_end)
}

for (const durable of [false, true]) {
  test(`scenario vectors (${durable ? 'sqlite' : 'memory'})`, () => {
    const dir = mkdtempSync(join(tmpdir(), 'hcp-billing-'))
    try {
      doc.scenarios.forEach((c, n) => {
        const plan = hcp.Plan.fromDict(c.plan)
        const ledger = durable ? hcp.Ledger.open(join(dir, `s${n}.db`)) : hcp.Ledger.memory()
        for (const step of c.steps) {
          if (step.ingest) assert.equal(ledger.ingest(step.ingest), step.expected_new, c.name)
          else if (step.expected_error) expectError(step, () => ledger.issueInvoice(plan, c.subscription, step.invoice_at))
          else checkInvoice(c.name, ledger.issueInvoice(plan, c.subscription, step.invoice_at), step.expected)
        }
        ledger.close()
      })
    } finally {
      rmSync(dir, { recursive: true, force: true })
    }
  })
}

const EVENT = { customerId: 'acme', meterCode: 'gpu_hours', timestamp: '2026-11-02T00:00:00Z', properties: { gpu_model: 'H100' } }

test('durable ledger: reopen, idempotent batches, close, garbage files', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hcp-billing-'))
  try {
    const path = join(dir, 'usage.db')
    const events = Array.from({ length: 2000 }, (_, i) => ({ ...EVENT, eventId: `e${i}`, quantity: '0.25' }))
    let ledger = hcp.Ledger.open(path)
    assert.equal(ledger.ingest(events), 2000)
    ledger.close()
    ledger.close()
    assert.equal(ledger.closed, true)
    assert.throws(() => ledger.ingest(events), (e) => e.code === 'Closed')
    ledger = hcp.Ledger.open(path, 'normal')
    assert.equal(ledger.ingest(events), 0)
    assert.equal(ledger.eventCount(), 2000)
    assert.deepEqual(ledger.customers(), ['acme'])
    const usage = ledger.usage('acme', ['gpu_hours'])
    assert.equal(usage.length, 2000)
    assert.equal(usage[0].quantity, '0.25')
    ledger.close()
    const bad = join(dir, 'garbage.db')
    writeFileSync(bad, Buffer.alloc(8192, 0xa5))
    assert.throws(() => hcp.Ledger.open(bad), (e) => e.code === 'Storage')
    assert.throws(() => hcp.Ledger.open(join(dir, 'x.db'), 'sometimes'), (e) => e.code === 'InvalidInput')
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
})

test('bad events name the field and store nothing', () => {
  const ledger = hcp.Ledger.memory()
  const good = { ...EVENT, eventId: 'ok', quantity: 1 }
  for (const [bad, field] of [
    [{ ...EVENT, eventId: 'x', quantity: -1 }, 'quantity'],
    [{ ...EVENT, eventId: 'x', quantity: 'NaN' }, 'quantity'],
    [{ ...EVENT, eventId: 'x', quantity: 1, timestamp: 'noon' }, 'timestamp'],
  ]) {
    assert.throws(() => ledger.ingest([good, bad]), (e) => e.code === 'InvalidInput' && e.message.startsWith(`events[1].${field}:`))
  }
  assert.equal(ledger.eventCount(), 0)
  assert.throws(() => hcp.Charge.fromDict({ model: 'standard', amount: '1' }).amount(NaN), (e) => e.code === 'InvalidInput')
})

test('decimal strings stay exact; estimates, budgets and in-advance fees', () => {
  const standard = hcp.Charge.fromDict({ model: 'standard', amount: 0.1 })
  assert.equal(standard.amount(3), '0.3')
  const plan = hcp.Plan.fromDict({
    code: 'gpu',
    currency: 'USD',
    meters: [{ code: 'gpu_hours', aggregation: 'sum', group_by: ['gpu_model'] }],
    charges: [{ meter_code: 'gpu_hours', model: 'standard', amount: '2.49' }],
  })
  const sub = { customer_id: 'acme', start: '2026-11-01', tax_rate: '10' }
  const ledger = hcp.Ledger.memory()
  ledger.ingest([{ ...EVENT, eventId: 'e1', quantity: '6' }, { ...EVENT, eventId: 'o1', customerId: 'other', quantity: '100' }])
  const inv = ledger.issueInvoice(plan, sub, '2026-11-30T00:00:00Z')
  assert.equal(inv.total, '16.43')
  assert.deepEqual(inv.lines.map((l) => l.group.gpu_model), ['H100'])
  assert.throws(() => ledger.issueInvoice(plan, sub, '2026-11-15T00:00:00Z'), (e) => e.code === 'Conflict')
  const est = plan.estimate(sub, '2026-11-05', [{ meter_code: 'gpu_hours', quantity: 72, properties: { gpu_model: 'H100' } }])
  assert.equal(est.subtotal, '179.28')
  const status = ledger.budgetStatus(plan, { ...sub, start: '2026-11-01' }, '2026-11-11T00:00:00Z', 80)
  assert.equal(status.spendToDate, '14.94')
  assert.deepEqual(status.alerts.map((a) => [a.thresholdPercent, a.reached]), [['50', false]], 'forecast 44.82 of 80')
  const inAdvance = hcp.Plan.fromDict({
    currency: 'USD',
    meters: [{ code: 'calls', aggregation: 'count' }],
    charges: [{ meter_code: 'calls', model: 'standard', amount: '0.25', pay_in_advance: true }],
  })
  assert.deepEqual(inAdvance.instantFees({ ...EVENT, eventId: 'c1', meterCode: 'calls', quantity: 1 }).map((l) => l.amount), ['0.25'])
})
