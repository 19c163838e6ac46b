// A dashboard's data feed: replay the hottest day of the shipped ERCOT history (2024-08-20, when
// HB_SOUTH reached $4,857/MWh) for the reference site in examples/site_plan.json, asking hcp every 15
// minutes for the site plan, and print the series a chart would draw (power split, curtailment,
// profit) as JSON lines, plus the day's totals.
// Run: `node examples/node/site_dashboard.mjs` after `make node` (which links the package here).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import * as hcp from 'hcpcore'

const root = fileURLToPath(new URL('../../', import.meta.url))
const site = JSON.parse(readFileSync(`${root}examples/site_plan.json`, 'utf8'))
const day = process.argv[2] ?? '2024-08-20'

const rows = readFileSync(`${root}data/market/ercot_hb_south_15min_2024-06_2025-03.csv`, 'utf8')
  .trim().split('\n').slice(1).map((l) => l.split(','))
  .filter(([t]) => t.startsWith(day))
if (rows.length === 0) throw new Error(`no ERCOT intervals on ${day}`)

const terms = { poolFee: site.pool_fee, pue: site.pue, gpuUtilisation: site.gpu_utilisation }
const plant = new hcp.Site(site.devices.map((d) => ({ model: d.model, count: d.count })), site.cap_kw, terms)
// That week's market: BTC ~ $59k, difficulty 8.6e13, fees ~0.03 BTC/block, H100 at ~$2.40/h.
const base = { btcUsd: 59_000, difficulty: 8.6e13, height: 857_000, feesBtcPerBlock: 0.03, gpuUsdPerHour: 2.4 }

let profit = 0, curtailedIntervals = 0
for (const [t, rtm] of rows) {
  // Negative wholesale prices are floored at zero all-in (hcp refuses negative prices).
  const usdPerKwh = Math.max(0, Number(rtm) / 1000 + site.adders_usd_per_kwh)
  const plan = plant.plan(new hcp.Market({ ...base, electricityUsdPerKwh: usdPerKwh }))
  profit += plan.profitUsdPerHour / 4
  if (plan.devicesCurtailed > 0 && plan.facilityKw < site.cap_kw - 500) curtailedIntervals++
  console.log(JSON.stringify({ t, usdPerKwh: +usdPerKwh.toFixed(4), miningKw: +plan.miningKw.toFixed(1), gpuKw: +plan.gpuKw.toFixed(1), curtailed: plan.devicesCurtailed, profitUsdPerHour: +plan.profitUsdPerHour.toFixed(2) }))
}
console.log(JSON.stringify({ day, intervals: rows.length, profitUsd: Math.round(profit), intervalsCurtailedOnPrice: curtailedIntervals }))
