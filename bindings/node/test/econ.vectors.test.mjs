// Replays tests/vectors/econ.json, the cases the Rust, Python and Go suites replay too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { load, num, camel, close } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')
const doc = load('econ')
const TERM_KEYS = ['pool_fee', 'pue', 'gpu_utilisation', 'tokens_per_second', 'demand_response_usd_per_mwh']

const market = (v) => new hcp.Market(Object.fromEntries(Object.entries(v).map(([k, x]) => [camel(k), num(x)])))
const model = (v) => (typeof v === 'string' ? v : hcp.asicModel(v.name, num(v.hashrate_ths), num(v.joules_per_th)))
const terms = (a) => Object.fromEntries(TERM_KEYS.filter((k) => k in a).map((k) => [camel(k), num(a[k])]))

function run(op, a) {
  switch (op) {
    case 'block_subsidy_btc':
    case 'block_subsidy_sats':
      return hcp[camel(op)](a.height)
    case 'hashprice_usd_per_ph_day':
    case 'hashprice_usd_per_th_day':
    case 'hashprice_btc_per_ph_day':
    case 'hashprice_btc_per_th_day':
      return hcp[camel(op)](market(a.market))
    case 'network_hashrate_hs':
      return hcp.networkHashrateHs(num(a.difficulty))
    case 'expected_btc_per_day':
      return hcp.expectedBtcPerDay(num(a.hashrate_ths), market(a.market))
    case 'market':
      return market(a.market).toJSON()
    case 'miner_daily':
      return hcp.minerDaily(model(a.model), market(a.market), terms(a))
    case 'breakeven_usd_per_kwh':
      return hcp.breakevenUsdPerKwh(model(a.model), market(a.market), terms(a))
    case 'gpu_hourly':
      return hcp.gpuHourly(model(a.model), market(a.market), terms(a))
    case 'site_plan': {
      const site = new hcp.Site(a.devices.map((d) => ({ model: model(d.model), count: d.count })), num(a.cap_kw), terms(a))
      const plan = site.plan(market(a.market))
      return { ...plan, running: plan.groups.map((g) => g.running), curtailed: plan.groups.map((g) => g.curtailed) }
    }
    case 'decide_series': {
      const p = Object.fromEntries(Object.entries(a.policy).map(([k, x]) => [camel(k), x === null ? undefined : num(x)]))
      const d = new hcp.Decider(model(a.model), a.initial, p, terms(a))
      const base = market(a.market).toJSON()
      const markets = a.electricity_usd_per_kwh.map((e) => new hcp.Market({ ...base, electricityUsdPerKwh: num(e) }))
      const actions = d.stepSeries(markets, num(a.dt_seconds))
      return { switches: d.switches, actions }
    }
    default:
      throw new Error(`unknown op ${op}`)
  }
}

for (const c of doc.cases) {
  test(c.name, () => {
    if (c.expect.error) {
      assert.throws(
        () => run(c.op, c.args),
        (e) => e.code === c.expect.error && e.message.startsWith(`${c.expect.field}:`),
      )
    } else {
      close(run(c.op, c.args), c.expect.value, num(c.rel_tol ?? 1e-9), num(c.abs_tol ?? 0))
    }
  })
}
