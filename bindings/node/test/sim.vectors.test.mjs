// Replays tests/vectors/sim.json, the cases the Rust, Python and Go suites replay too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { fileURLToPath } from 'node:url'
import { load, camel, close } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')
const doc = load('sim')
const REL = doc.tolerance.relative
const ROOT = fileURLToPath(new URL('../../../', import.meta.url))

const model = (m) => ({
  params: m.params,
  bytesPerParam: m.bytes_per_param,
  layers: m.layers && Object.fromEntries(Object.entries(m.layers).map(([k, v]) => [camel(k), v])),
})
const columns = (c) => Object.fromEntries(Object.entries(c).map(([k, v]) => [k, Array.from(v)]))

const buildFleet = (c) => {
  const f = new hcp.Fleet(c.config)
  for (const [name, n] of c.gpus) for (let i = 0; i < n; i++) f.addGpu(name)
  for (const [name, n] of c.miners) for (let i = 0; i < n; i++) f.addMiner(name)
  if (c.market?.synthetic?.seed !== undefined) f.setMarketSynthetic(c.market.synthetic.seed)
  for (let step = 0; step < c.steps; step++) {
    for (const cmd of c.commands.filter((x) => x.step === step)) f.command(cmd.device, cmd.command)
    f.step()
  }
  return f
}

// `series{labels}` -> value of every sample of a Prometheus exposition.
const expositionSamples = (text) => {
  const samples = {}
  for (const line of text.split('\n')) {
    if (!line || line.startsWith('#')) continue
    const at = line.lastIndexOf(' ')
    samples[line.slice(0, at)] = Number(line.slice(at + 1))
  }
  return samples
}

const sections = {
  decode: (c) => new hcp.H100(c.gpu).decode(model(c.model), c.batch, c.context_tokens ?? 0),
  switch: (c) =>
    new hcp.H100(c.gpu).switch({
      kvBytes: c.kv_bytes,
      weightsBytes: c.weights_bytes,
      hostMemory: c.host_memory,
      warmContext: c.warm_context,
    }),
  market: (c) => columns(hcp.syntheticMarket(c.seed, c.steps, c.dt_seconds, c.config ?? {})),
  replay: (c) => columns(hcp.replayMarket(ROOT + c.dir, c.start, c.steps, c.dt_seconds)),
  fleet: (c) => {
    const f = buildFleet(c)
    const s = f.series()
    const last = {}
    for (const k of ['power_watts', 'gpu_power_watts', 'asic_power_watts', 'hashrate_ths', 'tokens_per_second', 'max_gpu_temp_c']) {
      const col = s[camel(k)]
      last[k] = col[col.length - 1]
    }
    const kinds = {}
    for (const k of f.events().kindName) kinds[k] = (kinds[k] ?? 0) + 1
    return { summary: f.summary(), last, power_watts_sum: s.powerWatts.reduce((a, b) => a + b, 0), events_by_kind: kinds }
  },
  telemetry: (c) => {
    const f = buildFleet(c)
    return { reply: f.cgminer(c.device, c.request), miner_metrics: expositionSamples(f.minerMetrics(c.hostname)) }
  },
}

for (const [section, run] of Object.entries(sections)) {
  for (const c of doc[section]) {
    test(`${section}/${c.name}`, () => {
      if (c.error) {
        assert.throws(() => run(c), (e) => {
          assert.equal(e.code, c.error, e.message)
          if (c.message_contains) assert.ok(e.message.includes(c.message_contains), e.message)
          return true
        })
      } else {
        close(run(c), c.expect, REL, 0, `${section}/${c.name}`)
      }
    })
  }
}
