// hcp sim from Node: the H100 model, fleets with TypedArray columns, telemetry, determinism, errors.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'

const hcp = createRequire(import.meta.url)('../hcp.js')
const llama8b = { params: 8e9, bytesPerParam: 2 }

test('decode and switch give step time, tokens/s, power and phases', () => {
  const gpu = new hcp.H100('sxm')
  const d = gpu.decode(llama8b, 8)
  assert.ok(d.stepSeconds > 0.005 && d.stepSeconds < 0.007)
  assert.ok(Math.abs(d.tokensPerSecond - 8 / d.stepSeconds) < 1e-6)
  assert.ok(d.powerWatts > 300 && d.powerWatts < 700)
  const s = gpu.switch({ kvBytes: 8e9, weightsBytes: 16e9, hostMemory: 'pinned', warmContext: true })
  const sum = s.saveStateSeconds + s.freeAndClearSeconds + s.loadWeightsSeconds + s.contextStartSeconds + s.firstStepSeconds
  assert.ok(Math.abs(s.totalSeconds - sum) < 1e-12)
})

test('bad input throws errors with the kind as code', () => {
  const gpu = new hcp.H100('sxm')
  assert.throws(() => gpu.decode(llama8b, -1), (e) => e.code === 'InvalidInput' && /batch/.test(e.message))
  assert.throws(() => gpu.decode({ params: 70e9, bytesPerParam: 2 }, 1), (e) => e.code === 'OutOfMemory')
  assert.throws(() => new hcp.H100('a100'), (e) => e.code === 'InvalidInput')
  assert.throws(() => new hcp.Fleet({ dtSeconds: 0 }), (e) => e.code === 'InvalidInput')
  const f = new hcp.Fleet()
  f.addGpu('sxm')
  assert.throws(() => f.command(4, { command: 'sleep' }), (e) => e.code === 'NotFound')
  assert.throws(() => f.command(0, { command: 'mine', mode: 'low' }), (e) => e.code === 'InvalidInput')
  assert.throws(() => f.addMiner('S9'), (e) => e.code === 'InvalidInput')
})

test('fleet columns are TypedArrays and the same seed gives identical runs', () => {
  const run = (seed) => {
    const f = new hcp.Fleet({ dtSeconds: 60, seed })
    f.addMany('sxm', 3, 'S21', 5)
    f.setMarketSynthetic(seed)
    f.commandMany([0, 1, 2], { command: 'serve', model: llama8b, batch: 32 })
    f.command(4, { command: 'mine', mode: 'low' })
    f.run(300)
    return [f.series(), f.summary()]
  }
  const [a, sa] = run(5)
  const [b, sb] = run(5)
  assert.ok(a.powerWatts instanceof Float64Array && a.powerWatts.length === 300)
  assert.ok(a.gpusServing instanceof Uint32Array)
  assert.deepEqual(Array.from(a.powerWatts), Array.from(b.powerWatts))
  assert.deepEqual(sa, sb)
  const [, sc] = run(6)
  assert.notDeepEqual(sa, sc)
})

test('telemetry: dcgm exposition and cgminer replies', () => {
  const f = new hcp.Fleet({ dtSeconds: 60, seed: 1 })
  f.addMany('sxm', 2, 'S21', 1)
  f.command(0, { command: 'serve', model: llama8b, batch: 16 })
  f.run(70)
  const text = f.dcgmMetrics('node-1')
  assert.equal(text.split('\n').filter((l) => l.startsWith('DCGM_FI_DEV_POWER_USAGE{')).length, 2)
  const s = f.cgminer(2, 'summary')
  assert.equal(typeof s.SUMMARY[0]['GHS 5s'], 'number') // a number, as S21 firmware writes it
  assert.ok(s.SUMMARY[0]['Work Utility'] > 0)
  assert.ok(s.SUMMARY[0].Accepted > 0)
  assert.ok('chain_rate1' in f.cgminer(2, 'stats').STATS[1])
  assert.equal(f.cgminer(2, 'version').VERSION[0].Type, 'Antminer S21')
  assert.equal(f.cgminer(2, 'devs').DEVS.length, 3)
  const chains = f.cgminer(2, '{"command":"stats","new_api":true}').STATS[0].chain
  assert.deepEqual(chains.map((c) => c.asic_num), [108, 108, 108])
  assert.deepEqual(f.cgminer(2, '{"command":"summary+pools"}').summary[0].SUMMARY, s.SUMMARY)
  assert.equal(f.cgminer(2, '{"command":"bogus"}').STATUS[0].STATUS, 'E')
  assert.throws(() => f.cgminer(2, 'bogus'), (e) => e.code === 'InvalidInput')
  const miners = f.minerMetrics('rack')
  assert.ok(miners.includes('miner_hashboard_chips{miner="rack-2",board="0"} 108'))
})
