// The dashboard's only contact with hcp: runs the reference site (examples/site_plan.json) tick by
// tick on the Node binding and answers what the operator and customer views show.
//
// Owns: the hcp handles (Site for the plan under the cap, Router for customers' work and the power
// cap, Fleet for the simulated S21s and H100s with their real transition times and the market
// they are paid at, Plan + Ledger for usage, budgets and invoices) and the glue between them.
// Must not touch: HTTP, WebSocket or the page (server.mjs), and no domain maths — every value,
// price, plan, placement, power, revenue and invoice comes from an hcp call. The glue only moves
// numbers between calls (unit names say which), picks which devices obey a count hcp gave, and
// decides how long a submitted job runs (the customer says so).
//
// When `hcpcore::site` (issue #14) reaches the Node binding, this file is what changes: one Site
// stepped per tick replaces the hand-wired Router + Fleet + Ledger loop, and `snapshot()` /
// `customerSnapshot()` keep their shapes so the server and page stay as they are.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import hcp from 'hcpcore'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

export const MARKET_DIR = `${ROOT}data/market`
const SITE_ID = 'main'
const FLEET_DT_SECONDS = 60
const MARKET_CHUNK_SECONDS = 7 * 86_400
const NEVER_RECORD = 4_294_967_295 // Fleet.recordEverySteps: totals come from summary(), so no series grows

// What a workload type runs on its GPUs in the fleet (the fleet serves models; training is
// simulated as a heavy decode load until hcp models training steps).
const FLEET_LOAD = {
  ai_inference_realtime: { model: { params: 8e9, bytesPerParam: 2 }, batch: 32 },
  ai_inference_batch: { model: { params: 70e9, bytesPerParam: 1 }, batch: 64 },
  model_training: { model: { params: 70e9, bytesPerParam: 1 }, batch: 128 },
}
export const GPU_WORKLOAD_TYPES = Object.keys(FLEET_LOAD)

// The price scenarios an operator can switch between. `history` follows the site clock through
// the real ERCOT + BTC history; `spike` replays the afternoon of the 2024-08-20 price spike from now
// on (three hours before the peak); the synthetic ones are hcp's seeded market (SyntheticConfig fields).
export const SCENARIOS = {
  history: { label: 'Real history (ERCOT HB_SOUTH + BTC), on the site clock', kind: 'replay' },
  spike: { label: 'Replay of the 2024-08-20 price spike ($4,858/MWh)', kind: 'replay', from: '2024-08-20T16:00:00Z' },
  calm: { label: 'Synthetic: calm grid (~$30/MWh, rare spikes)', kind: 'synthetic', seed: 11,
    config: { electricity_mean_usd_per_mwh: 30, spikes_per_day: 0.1 } },
  volatile: { label: 'Synthetic: volatile grid (frequent spikes)', kind: 'synthetic', seed: 7,
    config: { electricity_mean_usd_per_mwh: 45, spikes_per_day: 4, spike_mean_usd_per_mwh: 900 } },
  btc_crash: { label: 'Synthetic: BTC at $30k and falling', kind: 'synthetic', seed: 3,
    config: { btc_usd: 30_000, btc_drift_per_year: -0.8 } },
}

// The demo's customers: budget per billing period (weekly plan), and the background work each
// submits (arrivals per hour, GPUs, hours each job runs). A customer's own submissions from the
// page come on top.
export const CUSTOMERS = {
  acme: { name: 'Acme AI', budgetUsd: 100_000, demand: [
    { type: 'ai_inference_realtime', perHour: 10, gpus: [1, 4], hours: [0.5, 2] },
    { type: 'model_training', perHour: 0.8, gpus: [8, 64], hours: [6, 24] },
  ] },
  globex: { name: 'Globex', budgetUsd: 20_000, demand: [
    { type: 'ai_inference_batch', perHour: 6, gpus: [1, 4], hours: [1, 6] },
  ] },
  initech: { name: 'Initech', budgetUsd: 3_000, demand: [
    { type: 'ai_inference_realtime', perHour: 2, gpus: [1, 1], hours: [0.25, 1] },
    { type: 'ai_inference_batch', perHour: 0.5, gpus: [1, 2], hours: [1, 4] },
  ] },
}

// The price plan every demo customer is on (Lago field names), billed weekly.
export const PLAN = {
  code: 'gpu-hours',
  currency: 'USD',
  interval: 'weekly',
  meters: [{ code: 'gpu_hours', aggregation: 'sum', group_by: ['workload_type'] }],
  charges: [{
    name: 'GPU-hours', meter_code: 'gpu_hours', model: 'graduated',
    tiers: [{ up_to: 500, per_unit_amount: '2.99' }, { up_to: 5000, per_unit_amount: '2.49' }, { up_to: null, per_unit_amount: '1.99' }],
  }],
}

// Fleet.devices().state codes, as hcpcore::sim::DeviceState numbers them.
const STATE_CODES = ['idle', 'mining', 'serving', 'switching', 'sleeping', 'faulted']
const ALERT_LIMIT = 60
const WORKLOAD_LIST_LIMIT = 30
const PINNED_LIMIT = 10

// A small seeded generator (mulberry32) for the background demand: which jobs arrive, not what
// they cost or where they run.
function prng(seed) {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296
  }
}

const iso = (unixSeconds) => new Date(unixSeconds * 1000).toISOString().replace('.000Z', 'Z')

/** Prices of one scenario, sampled from hcp on the fleet's step, aligned with the fleet clock. */
class MarketFeed {
  constructor(scenario, fleetTimeSeconds, siteStartUnix) {
    this.scenario = scenario
    this.originSeconds = fleetTimeSeconds // fleet time of sample 0
    const spec = SCENARIOS[scenario]
    // A replay maps fleet time t to `replayStart + t`: `history` keeps the site clock's date,
    // `spike` starts its chosen day now.
    this.replayStartUnix = spec.kind !== 'replay' ? null
      : spec.from ? Date.parse(spec.from) / 1000 - fleetTimeSeconds : siteStartUnix
    this.columns = null
    this.extend(Math.ceil(MARKET_CHUNK_SECONDS / FLEET_DT_SECONDS))
  }

  extend(steps) {
    const spec = SCENARIOS[this.scenario]
    this.columns = spec.kind === 'replay'
      ? hcp.replayMarket(MARKET_DIR, iso(this.replayStartUnix + this.originSeconds), steps, FLEET_DT_SECONDS)
      : hcp.syntheticMarket(spec.seed, steps, FLEET_DT_SECONDS, spec.config)
  }

  /** Points the fleet to the same prices (from its next step). */
  applyTo(fleet) {
    const spec = SCENARIOS[this.scenario]
    if (spec.kind === 'replay') fleet.setMarketReplay(MARKET_DIR, iso(this.replayStartUnix))
    else fleet.setMarketSynthetic(spec.seed, spec.config)
  }

  /** The market point at fleet time `t`. */
  at(t) {
    let i = Math.max(0, Math.floor((t - this.originSeconds) / FLEET_DT_SECONDS))
    while (i >= this.columns.timeSeconds.length) this.extend(this.columns.timeSeconds.length * 2)
    const c = this.columns
    return {
      pricesAsOf: this.replayStartUnix === null ? null : iso(this.replayStartUnix + t),
      btcUsd: c.btcUsd[i],
      difficulty: c.difficulty[i],
      height: Math.floor(c.height[i]),
      feesBtcPerBlock: c.feesBtcPerBlock[i],
      electricityUsdPerMwh: c.electricityUsdPerMwh[i],
      gpuUsdPerHour: c.gpuUsdPerHour[i],
    }
  }
}

export class SiteDriver {
  /**
   * @param {object} options
   * @param {string} [options.siteConfigPath] examples/site_plan.json by default
   * @param {string} [options.start] site clock start (RFC 3339), within the shipped history
   * @param {number} [options.tickSeconds] simulated seconds per tick (a multiple of 60)
   * @param {number} [options.seed]
   * @param {string} [options.scenario]
   * @param {object} [options.customers] the customers and their background demand (CUSTOMERS)
   */
  constructor(options = {}) {
    const config = JSON.parse(readFileSync(options.siteConfigPath ?? `${ROOT}examples/site_plan.json`, 'utf8'))
    this.config = config
    this.tickSeconds = options.tickSeconds ?? 900
    if (!(this.tickSeconds >= FLEET_DT_SECONDS) || this.tickSeconds % FLEET_DT_SECONDS !== 0) {
      throw new Error(`tickSeconds: must be a positive multiple of ${FLEET_DT_SECONDS}, got ${this.tickSeconds}`)
    }
    this.startUnix = Date.parse(options.start ?? '2024-08-15T00:00:00Z') / 1000
    if (!Number.isFinite(this.startUnix)) throw new Error(`start: not a date: ${options.start}`)
    this.random = prng(options.seed ?? 1)
    this.terms = { poolFee: config.pool_fee, pue: config.pue, gpuUtilisation: config.gpu_utilisation }
    this.site = new hcp.Site(config.devices.map((d) => ({ model: d.model, count: d.count })), config.cap_kw, this.terms)

    // Devices: the fleet simulates them; the router places work on them under the cap. The
    // router's cap is on the devices' draw, the site's on the meter: the meter's cap over PUE.
    this.fleet = new hcp.Fleet({ dtSeconds: FLEET_DT_SECONDS, seed: options.seed ?? 1, recordEverySteps: NEVER_RECORD, keepEvents: false })
    this.deviceCapKw = config.cap_kw / config.pue
    this.router = new hcp.Router({ manual_clock: true, sites: { [SITE_ID]: { power_cap_kw: this.deviceCapKw } } })
    this.gpuIds = []
    this.minerIds = []
    this.fleetIndex = new Map() // router device id → fleet device index
    for (const group of config.devices) {
      const model = hcp.getModel(group.model)
      for (let n = 0; n < group.count; n++) {
        const index = model.kind === 'gpu' ? this.fleet.addGpu('sxm') : this.fleet.addMiner(model.name)
        const id = `${model.kind === 'gpu' ? 'gpu' : 'miner'}-${index}`
        this.router.addDevice(id, model.kind, model.name, SITE_ID, model.kind === 'gpu' ? model.gpuMemoryGb : undefined)
        this.fleetIndex.set(id, index);
        (model.kind === 'gpu' ? this.gpuIds : this.minerIds).push(id)
      }
    }
    this.minerModel = config.devices.map((d) => hcp.getModel(d.model)).find((m) => m.kind === 'asic')

    // Billing.
    this.plan = hcp.Plan.fromDict(PLAN)
    this.ledger = hcp.Ledger.memory()
    this.customers = new Map()
    for (const [id, c] of Object.entries(options.customers ?? CUSTOMERS)) {
      this.customers.set(id, {
        id, name: c.name, budgetUsd: c.budgetUsd, demand: c.demand,
        subscription: { customer_id: id, start: iso(this.startUnix) },
        openPeriodEnd: null, alertsSeen: new Set(), status: null, recentIds: [], pinnedIds: [],
      })
    }

    this.pendingUsage = new Map() // customer + type → GPU-hours not yet in the ledger
    this.running = new Map() // workload id → { endSeconds, customerId, workloadType, gpus, deviceIds }
    this.jobHours = new Map() // workload id → hours asked for (until it starts)
    this.faultDrained = new Set() // GPUs out of service while faulted
    this.priceDrained = new Set() // miners asleep because the plan curtails them at this price
    this.routerCurtailed = new Set() // miners the router put to sleep to make room for GPU work
    this.alerts = []
    this.lastCounts = this.router.counts()
    this.lastFaulted = 0
    this.plannedAsleep = undefined // miners the plan had asleep last tick
    this.tick = 0
    this.feed = new MarketFeed(options.scenario ?? 'history', 0, this.startUnix)
    this.feed.applyTo(this.fleet)
    this.refresh()
  }

  /** Simulated seconds since the start. */
  get timeSeconds() { return this.fleet.timeSeconds }

  get nowIso() { return iso(this.startUnix + this.timeSeconds) }

  get scenario() { return this.feed.scenario }

  setScenario(name) {
    if (!Object.hasOwn(SCENARIOS, name)) {
      throw Object.assign(new Error(`scenario: unknown ${JSON.stringify(name)}; known: ${Object.keys(SCENARIOS).join(', ')}`), { code: 'InvalidInput' })
    }
    this.feed = new MarketFeed(name, this.timeSeconds, this.startUnix)
    this.feed.applyTo(this.fleet)
    this.alert('info', `Price scenario: ${SCENARIOS[name].label}`)
    this.refresh()
  }

  alert(level, message) {
    this.alerts.unshift({ at: this.nowIso, level, message })
    this.alerts.length = Math.min(this.alerts.length, ALERT_LIMIT)
  }

  /**
   * A customer's submission: `trySubmit` on the router (rejections come back with hcp's
   * reason); `hours` is how long the job runs once started. `pinned` (a submission from the page)
   * keeps it in the customer's list while later background work arrives.
   */
  submit(customerId, workloadType, { priority, gpus, gpuMemoryGb, hours } = {}, { pinned = false } = {}) {
    if (!this.customers.has(customerId)) {
      throw Object.assign(new Error(`customerId: unknown ${JSON.stringify(customerId)}`), { code: 'NotFound' })
    }
    if (!GPU_WORKLOAD_TYPES.includes(workloadType)) {
      throw Object.assign(new Error(`workloadType: must be one of ${GPU_WORKLOAD_TYPES.join(', ')}`), { code: 'InvalidInput' })
    }
    const runHours = hours ?? 1
    if (!(typeof runHours === 'number' && runHours > 0 && runHours <= 24 * 28)) {
      throw Object.assign(new Error('hours: must be a number in (0, 672]'), { code: 'InvalidInput' })
    }
    const options = {}
    if (priority !== undefined) options.priority = priority
    if (gpus !== undefined) options.gpus = gpus
    if (gpuMemoryGb !== undefined) options.gpuMemoryGb = gpuMemoryGb
    const submission = this.router.trySubmit(customerId, workloadType, options)
    if (submission.state !== 'rejected') this.jobHours.set(submission.workloadId, runHours)
    const c = this.customers.get(customerId)
    for (const [list, limit] of [[c.recentIds, WORKLOAD_LIST_LIMIT], ...(pinned ? [[c.pinnedIds, PINNED_LIMIT]] : [])]) {
      list.push(submission.workloadId)
      if (list.length > limit) list.shift()
    }
    return submission
  }

  cancel(customerId, workloadId) {
    this.router.cancel(workloadId, customerId)
    this.release(workloadId)
    this.wakeResumedMiners()
  }

  pause() { this.paused = true }
  resume() { this.paused = false }

  /** One tick: price → plan → demand → placement → devices step → completions → billing. */
  step() {
    const market = this.marketNow()
    this.followPlan(market)
    this.arrivals()
    this.place()
    this.fleet.run(this.tickSeconds / FLEET_DT_SECONDS)
    this.router.advanceTime(this.tickSeconds)
    this.tick += 1
    const metered = this.meter()
    this.watchDevices()
    this.finishDue()
    this.bill(metered)
    this.refresh()
  }

  marketNow() {
    const point = this.feed.at(this.timeSeconds)
    // The tariff at the meter: the real-time price plus the site's adders, floored at zero (hcp
    // refuses negative prices), as examples/node/site_dashboard.mjs does.
    const usdPerKwh = Math.max(0, point.electricityUsdPerMwh / 1000 + this.config.adders_usd_per_kwh)
    const market = new hcp.Market({
      btcUsd: point.btcUsd, difficulty: point.difficulty, height: point.height,
      feesBtcPerBlock: point.feesBtcPerBlock, electricityUsdPerKwh: usdPerKwh, gpuUsdPerHour: point.gpuUsdPerHour,
    })
    this.point = point
    this.market = market
    this.router.setMarket(market)
    return market
  }

  // The site plan says how many miners to run at this price under the cap; miners beyond it
  // sleep (drained in the router, so no work lands on them) until the plan wants them back.
  followPlan(market) {
    const plan = this.site.plan(market)
    this.sitePlan = plan
    const minerGroup = plan.groups.find((g) => g.kind === 'asic')
    const planned = minerGroup ? minerGroup.curtailed : 0
    const target = Math.max(0, planned - this.routerCurtailed.size)
    if (planned !== this.plannedAsleep) {
      const breakeven = hcp.breakevenUsdPerKwh(this.minerModel.name, market, this.terms)
      const level = planned > (this.plannedAsleep ?? 0) ? 'warn' : 'info'
      this.alert(level, `Plan: ${planned} of ${minerGroup.count} miners asleep${this.plannedAsleep === undefined ? '' : ` (was ${this.plannedAsleep})`}` +
        ` at $${market.electricityUsdPerKwh.toFixed(3)}/kWh (S21 break-even $${breakeven.toFixed(3)}/kWh)`)
      this.plannedAsleep = planned
    }
    const toSleep = []
    for (const id of this.minerIds) {
      if (this.priceDrained.size + toSleep.length >= target) break
      if (!this.priceDrained.has(id) && !this.routerCurtailed.has(id)) toSleep.push(id)
    }
    for (const id of toSleep) {
      this.router.setDeviceAvailable(id, false)
      this.priceDrained.add(id)
    }
    if (toSleep.length) this.fleet.commandMany(toSleep.map((id) => this.fleetIndex.get(id)), { command: 'sleep' })
    const toWake = []
    for (const id of this.priceDrained) {
      if (this.priceDrained.size - toWake.length <= target) break
      toWake.push(id)
    }
    for (const id of toWake) {
      this.router.setDeviceAvailable(id, true)
      this.priceDrained.delete(id)
    }
    if (toWake.length) this.fleet.commandMany(toWake.map((id) => this.fleetIndex.get(id)), { command: 'wake' })
  }

  // Background demand of the demo customers, more by day than by night (site clock, UTC−5).
  arrivals() {
    const hour = (new Date((this.startUnix + this.timeSeconds) * 1000).getUTCHours() + 19) % 24
    const dayFactor = hour >= 8 && hour < 20 ? 1.5 : 0.5
    const ticksPerHour = 3600 / this.tickSeconds
    for (const c of this.customers.values()) {
      for (const d of c.demand) {
        let expected = (d.perHour * dayFactor) / ticksPerHour
        while (expected > 0) {
          if (this.random() < Math.min(1, expected)) {
            const gpus = d.gpus[0] + Math.floor(this.random() * (d.gpus[1] - d.gpus[0] + 1))
            const hours = d.hours[0] + this.random() * (d.hours[1] - d.hours[0])
            this.submit(c.id, d.type, { gpus, hours: Math.round(hours * 4) / 4 || 0.25 })
          }
          expected -= 1
        }
      }
    }
  }

  // Places every waiting workload the router can place now and starts it on its GPUs.
  place() {
    const now = this.timeSeconds
    for (;;) {
      const a = this.router.dispatch()
      if (a === null) break
      for (const id of a.curtailedDeviceIds) this.routerCurtailed.add(id)
      if (a.curtailedDeviceIds.length) {
        this.fleet.commandMany(a.curtailedDeviceIds.map((id) => this.fleetIndex.get(id)), { command: 'sleep' })
      }
      for (const victim of a.preemptedWorkloadIds) this.release(victim, { requeued: true })
      const info = this.router.workload(a.workloadId)
      const load = FLEET_LOAD[info.workloadType]
      this.fleet.commandMany(a.deviceIds.map((id) => this.fleetIndex.get(id)), { command: 'serve', model: load.model, batch: load.batch })
      this.router.start(a.workloadId)
      const hours = this.jobHours.get(a.workloadId) ?? 1
      this.running.set(a.workloadId, {
        customerId: info.customerId, workloadType: info.workloadType, gpus: a.deviceIds.length,
        deviceIds: a.deviceIds, endSeconds: now + hours * 3600,
      })
    }
  }

  // Parks the GPUs of a workload that left them (completed, cancelled, failed or preempted).
  release(workloadId, { requeued = false } = {}) {
    const job = this.running.get(workloadId)
    if (!job) return
    this.running.delete(workloadId)
    if (!requeued) this.jobHours.delete(workloadId)
    const free = job.deviceIds.filter((id) => this.router.device(id).workloads === 0 && this.fleet.state(this.fleetIndex.get(id)) !== 'faulted')
    if (free.length) this.fleet.commandMany(free.map((id) => this.fleetIndex.get(id)), { command: 'sleep' })
  }

  finishDue() {
    const now = this.timeSeconds
    let finished = 0
    for (const [id, job] of this.running) {
      if (job.endSeconds <= now) {
        this.router.complete(id)
        this.release(id)
        finished++
      }
    }
    if (finished) this.wakeResumedMiners()
  }

  wakeResumedMiners() {
    const woken = this.router.resumeMiners(SITE_ID)
    for (const id of woken) this.routerCurtailed.delete(id)
    if (woken.length) this.fleet.commandMany(woken.map((id) => this.fleetIndex.get(id)), { command: 'wake' })
  }

  // Faulted GPUs fail their work and leave service until the fleet resets them.
  watchDevices() {
    const states = this.fleet.devices().state
    let faulted = 0
    for (const id of this.gpuIds) {
      const isFaulted = states[this.fleetIndex.get(id)] === STATE_CODES.indexOf('faulted')
      if (isFaulted) {
        faulted++
        if (!this.faultDrained.has(id)) {
          for (const [wid, job] of this.running) {
            if (job.deviceIds.includes(id)) {
              this.router.fail(wid)
              this.release(wid)
              this.alert('error', `${id} faulted: workload ${wid} (${job.customerId}) failed`)
            }
          }
          this.router.setDeviceAvailable(id, false)
          this.faultDrained.add(id)
        }
      } else if (this.faultDrained.has(id)) {
        this.router.setDeviceAvailable(id, true)
        this.faultDrained.delete(id)
      }
    }
    if (faulted !== this.lastFaulted && faulted > this.lastFaulted) this.alert('error', `${faulted} GPU(s) faulted`)
    this.lastFaulted = faulted
    const counts = this.router.counts()
    const newlyFailed = counts.failed - this.lastCounts.failed
    const newlyRejected = counts.rejected - this.lastCounts.rejected
    if (newlyFailed > 0) this.alert('warn', `${newlyFailed} workload(s) failed (latency bound passed or device fault)`)
    if (newlyRejected > 0) this.alert('warn', `${newlyRejected} submission(s) rejected`)
    this.lastCounts = counts
  }

  // GPU-hours of the work that ran this tick, per customer and workload type, gathered over each
  // simulated hour and stored as one event per customer and type stamped at the hour's start (the
  // ledger's budget query reads a customer's whole history, so fewer, larger events keep it quick
  // on a long run). Returns whether events were stored.
  meter() {
    const tickStart = this.timeSeconds - this.tickSeconds
    if (this.pendingSince === undefined) this.pendingSince = tickStart
    const hoursPerGpu = this.tickSeconds / 3600
    for (const job of this.running.values()) {
      const key = `${job.customerId}\u0000${job.workloadType}`
      this.pendingUsage.set(key, (this.pendingUsage.get(key) ?? 0) + job.gpus * hoursPerGpu)
    }
    if (Math.floor(this.timeSeconds / 3600) === Math.floor(tickStart / 3600) && this.timeSeconds % 3600 !== 0) return false
    const at = iso(this.startUnix + this.pendingSince)
    const events = [...this.pendingUsage].map(([key, gpuHours]) => {
      const [customerId, workloadType] = key.split('\u0000')
      return {
        eventId: `${customerId}/${workloadType}/${this.pendingSince}`, customerId, meterCode: 'gpu_hours',
        quantity: String(gpuHours), timestamp: at, properties: { workload_type: workloadType },
      }
    })
    this.pendingUsage.clear()
    this.pendingSince = undefined
    if (events.length) this.ledger.ingest(events)
    return true
  }

  // The invoice of each period that has just ended, and budgets after each hour's usage.
  bill(metered) {
    const now = this.nowIso
    for (const c of this.customers.values()) {
      if (c.openPeriodEnd !== null && Date.parse(now) >= Date.parse(c.openPeriodEnd)) {
        const inv = this.ledger.issueInvoice(this.plan, c.subscription, iso(Date.parse(c.openPeriodEnd) / 1000 - 1))
        this.alert('info', `Invoice ${inv.number} issued: ${inv.currency} ${inv.total}`)
        c.alertsSeen.clear()
      } else if (!metered && c.status !== null) {
        continue
      }
      const status = this.ledger.budgetStatus(this.plan, c.subscription, now, c.budgetUsd)
      c.status = status
      c.openPeriodEnd = status.periodEnd
      for (const a of status.alerts) {
        if (a.reached && !c.alertsSeen.has(a.thresholdPercent)) {
          c.alertsSeen.add(a.thresholdPercent)
          this.alert(Number(a.thresholdPercent) >= 100 ? 'error' : 'warn', `${c.name} reached ${a.thresholdPercent} % of its $${c.budgetUsd} budget`)
        }
      }
    }
  }

  // The operator's figures of the current instant (from the fleet, router and plan).
  refresh() {
    const devices = this.fleet.devices()
    const gpuStates = { idle: 0, serving: 0, switching: 0, sleeping: 0, faulted: 0 }
    const minerStates = { mining: 0, switching: 0, sleeping: 0, idle: 0, faulted: 0 }
    let gpuWatts = 0
    let minerWatts = 0
    for (let i = 0; i < devices.state.length; i++) {
      const state = STATE_CODES[devices.state[i]] ?? 'idle'
      if (devices.kind[i] === 0) {
        gpuStates[state] = (gpuStates[state] ?? 0) + 1
        gpuWatts += devices.powerWatts[i]
      } else {
        minerStates[state] = (minerStates[state] ?? 0) + 1
        minerWatts += devices.powerWatts[i]
      }
    }
    if (!this.market) this.marketNow()
    if (!this.sitePlan) this.sitePlan = this.site.plan(this.market)
    this.current = { gpuStates, minerStates, gpuKw: gpuWatts / 1000, miningKw: minerWatts / 1000 }
    // The router admits GPU work on its own estimate of GPU power (a share of TDP by memory held);
    // the fleet's GPUs may draw more. Say so when the measured draw passes the cap.
    const overCap = this.current.gpuKw + this.current.miningKw > this.deviceCapKw
    if (overCap && !this.overCap) {
      this.alert('error', `Measured draw ${(this.current.gpuKw + this.current.miningKw).toFixed(0)} kW is above the cap of ${this.deviceCapKw.toFixed(0)} kW (router estimate ${this.router.siteLoadKw(SITE_ID).toFixed(0)} kW)`)
    }
    this.overCap = overCap
  }

  /** What the operator view shows now. */
  snapshot() {
    const s = this.fleet.summary()
    const counts = this.router.counts()
    const revenueUsd = s.miningRevenueUsd + s.gpuRevenueUsd
    const customers = []
    for (const c of this.customers.values()) {
      const invoiced = this.ledger.invoices(c.id)
      customers.push({
        id: c.id, name: c.name, budgetUsd: c.budgetUsd, spendToDateUsd: c.status ? Number(c.status.spendToDate) : 0,
        usedPercent: c.status ? Number(c.status.usedPercent) : 0, invoices: invoiced.length,
        active: this.router.customer(c.id).active, queued: this.router.customer(c.id).queued,
      })
    }
    return {
      time: this.nowIso,
      timeSeconds: this.timeSeconds,
      tick: this.tick,
      paused: !!this.paused,
      scenario: this.scenario,
      scenarioLabel: SCENARIOS[this.scenario].label,
      pricesAsOf: this.point?.pricesAsOf ?? null,
      price: {
        electricityUsdPerMwh: this.point?.electricityUsdPerMwh ?? 0,
        tariffUsdPerKwh: this.market.electricityUsdPerKwh,
        btcUsd: this.market.btcUsd,
        gpuUsdPerHour: this.market.gpuUsdPerHour,
        hashpriceUsdPerPhDay: hcp.hashpriceUsdPerPhDay(this.market),
        minerBreakevenUsdPerKwh: hcp.breakevenUsdPerKwh(this.minerModel.name, this.market, this.terms),
      },
      power: {
        capKw: this.config.cap_kw,
        deviceCapKw: this.deviceCapKw,
        pue: this.config.pue,
        miningKw: this.current.miningKw,
        gpuKw: this.current.gpuKw,
        overCap: this.overCap,
        routerLoadKw: this.router.siteLoadKw(SITE_ID),
        plan: {
          facilityKw: this.sitePlan.facilityKw, miningKw: this.sitePlan.miningKw, gpuKw: this.sitePlan.gpuKw,
          devicesCurtailed: this.sitePlan.devicesCurtailed, profitUsdPerHour: this.sitePlan.profitUsdPerHour,
        },
      },
      miners: { total: this.minerIds.length, ...this.current.minerStates, curtailedByPlan: this.priceDrained.size, curtailedForGpus: this.routerCurtailed.size },
      gpus: { total: this.gpuIds.length, ...this.current.gpuStates },
      queue: { depthByPriority: this.router.queueDepths(), counts },
      money: {
        miningRevenueUsd: s.miningRevenueUsd, gpuRevenueUsd: s.gpuRevenueUsd, revenueUsd,
        energyCostUsd: s.energyCostUsd, profitUsd: revenueUsd - s.energyCostUsd, minedBtc: s.minedBtc,
        energyKwh: s.energyKwh,
      },
      customers,
      alerts: this.alerts.slice(0, 20),
    }
  }

  /** What one customer's view shows now: only that customer's work, usage and invoices. */
  customerSnapshot(customerId) {
    const c = this.customers.get(customerId)
    if (!c) throw Object.assign(new Error(`customerId: unknown ${JSON.stringify(customerId)}`), { code: 'NotFound' })
    // The latest submissions and the last ones made from the page (a long run has many thousands;
    // customerWorkloads would list them all).
    const ids = [...new Set([...c.recentIds, ...c.pinnedIds])].sort((a, b) => b - a)
    const recent = ids.map((id) => this.router.workload(id, customerId)).map((w) => {
      const job = this.running.get(w.id)
      return {
        id: w.id, workloadType: w.workloadType, priority: w.priority, state: w.state, gpus: w.gpus,
        gpuMemoryGb: w.gpuMemoryGb, reason: w.reason ?? null, preemptions: w.preemptions,
        endsAt: job ? iso(this.startUnix + job.endSeconds) : null, pinned: c.pinnedIds.includes(w.id),
      }
    })
    const { submitted, queued, active, gpusHeld } = this.router.customer(customerId)
    const preview = this.ledger.previewInvoice(this.plan, c.subscription, this.nowIso)
    const status = c.status ?? this.ledger.budgetStatus(this.plan, c.subscription, this.nowIso, c.budgetUsd)
    return {
      time: this.nowIso,
      timeSeconds: this.timeSeconds,
      paused: !!this.paused,
      customer: { id: c.id, name: c.name, budgetUsd: c.budgetUsd },
      counts: { submitted, queued, active, gpusHeld },
      workloads: recent,
      budget: status,
      openInvoice: preview,
      invoices: this.ledger.invoices(customerId).reverse(),
    }
  }

  close() {
    this.router.close()
    this.ledger.close()
  }
}

export { hcp }
