// The dashboard's server: runs the reference site (site_driver.mjs, on the hcp Node binding) at an
// accelerated clock and serves the page, its controls (JSON over HTTP) and live updates (WebSocket
// at /ws). Owns the clock, HTTP and WebSocket; everything about the site is the driver's.
//
//   node server.mjs [--port 3001] [--host 127.0.0.1] [--speed 3600] [--tick-seconds 900]
//                   [--scenario history] [--start 2024-08-15T00:00:00Z] [--seed 1]
//
// `--speed` is simulated seconds per real second (3600: an hour a second). `--port 0` takes a free
// port; the line `hcp dashboard: http://HOST:PORT/` says which.
import { readFile } from 'node:fs/promises'
import http from 'node:http'
import { createRequire } from 'node:module'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { WebSocketServer } from 'ws'
import { CUSTOMERS, GPU_WORKLOAD_TYPES, SCENARIOS, SiteDriver } from './site_driver.mjs'

// Signals that arrive while the site is being built are kept and acted on once it is.
let signalled = null
let shutdownNow = null
const onSignal = (signal) => (shutdownNow ? shutdownNow(signal) : (signalled = signal))
process.on('SIGTERM', onSignal)
process.on('SIGINT', onSignal)

const HERE = path.dirname(fileURLToPath(import.meta.url))
const require = createRequire(import.meta.url)
const UPLOT_DIR = path.dirname(require.resolve('uplot/package.json'))
const HISTORY_LIMIT = 2000
const BODY_LIMIT_BYTES = 64 * 1024

const { values: args } = parseArgs({
  options: {
    port: { type: 'string', default: process.env.HCP_DASHBOARD_PORT ?? '3001' },
    host: { type: 'string', default: '127.0.0.1' },
    speed: { type: 'string', default: '3600' },
    'tick-seconds': { type: 'string', default: '900' },
    scenario: { type: 'string', default: 'history' },
    start: { type: 'string', default: '2024-08-15T00:00:00Z' },
    seed: { type: 'string', default: '1' },
  },
})
const speed = Number(args.speed)
const tickSeconds = Number(args['tick-seconds'])
if (!(speed > 0)) throw new Error(`--speed: must be a positive number, got ${args.speed}`)

const driver = new SiteDriver({ tickSeconds, scenario: args.scenario, start: args.start, seed: Number(args.seed) })

// Chart history, so a page opened late draws the run so far.
const operatorHistory = []
const spendHistory = new Map(Object.keys(CUSTOMERS).map((id) => [id, []]))

function record() {
  const s = driver.snapshot()
  const t = Date.parse(s.time) / 1000 // site clock, Unix seconds (the charts' x axis)
  operatorHistory.push({
    t,
    electricityUsdPerMwh: s.price.electricityUsdPerMwh,
    miningKw: s.power.miningKw,
    gpuKw: s.power.gpuKw,
    deviceCapKw: s.power.deviceCapKw,
    revenueUsd: s.money.revenueUsd,
    energyCostUsd: s.money.energyCostUsd,
    profitUsd: s.money.profitUsd,
    queued: s.queue.counts.queued,
  })
  if (operatorHistory.length > HISTORY_LIMIT) operatorHistory.shift()
  for (const c of s.customers) {
    const h = spendHistory.get(c.id)
    h.push({ t, spendUsd: c.spendToDateUsd, budgetUsd: c.budgetUsd })
    if (h.length > HISTORY_LIMIT) h.shift()
  }
  return s
}

// ------------------------------------------------------------------ live updates

const clients = new Set() // { ws, view, customerId }

// A page that cannot keep up misses ticks rather than making the server buffer without bound
// (its charts then skip those points; the next snapshot is whole).
const SEND_BUFFER_LIMIT_BYTES = 4 * 1024 * 1024

function send(client, message) {
  const { ws } = client
  if (ws.readyState === ws.OPEN && ws.bufferedAmount < SEND_BUFFER_LIMIT_BYTES) ws.send(JSON.stringify(message))
}

function push(client, operatorSnapshot, withHistory) {
  if (client.view === 'operator') {
    send(client, { type: 'operator', snapshot: operatorSnapshot, point: operatorHistory.at(-1), history: withHistory ? operatorHistory : undefined })
  } else if (client.view === 'customer') {
    send(client, {
      type: 'customer', snapshot: driver.customerSnapshot(client.customerId),
      point: spendHistory.get(client.customerId).at(-1), history: withHistory ? spendHistory.get(client.customerId) : undefined,
    })
  }
}

function broadcast(operatorSnapshot) {
  const s = operatorSnapshot ?? driver.snapshot()
  for (const client of clients) push(client, s, false)
}

// ------------------------------------------------------------------ clock

let ticking = false
function tick() {
  if (driver.paused || ticking) return
  ticking = true
  try {
    driver.step()
    broadcast(record())
  } catch (err) {
    console.error('tick failed:', err)
    driver.pause()
    driver.alert('error', `Simulation paused after an error: ${err.message}`)
    broadcast()
  } finally {
    ticking = false
  }
}
record()
const timer = setInterval(tick, (tickSeconds / speed) * 1000)

// ------------------------------------------------------------------ HTTP

class HttpError extends Error {
  constructor(status, message, code) {
    super(message)
    this.status = status
    this.code = code
  }
}

const STATUS_OF_CODE = { InvalidInput: 400, NotFound: 404, Conflict: 409, CapacityExceeded: 409, IllegalTransition: 409 }

async function readJson(req) {
  let size = 0
  const chunks = []
  for await (const chunk of req) {
    size += chunk.length
    if (size > BODY_LIMIT_BYTES) throw new HttpError(413, `body: larger than ${BODY_LIMIT_BYTES} bytes`, 'InvalidInput')
    chunks.push(chunk)
  }
  if (size === 0) return {}
  try {
    const body = JSON.parse(Buffer.concat(chunks).toString('utf8'))
    if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new Error('not an object')
    return body
  } catch (err) {
    throw new HttpError(400, `body: malformed JSON (${err.message})`, 'InvalidInput')
  }
}

const STATIC = {
  '/': [path.join(HERE, 'public/index.html'), 'text/html; charset=utf-8'],
  '/app.js': [path.join(HERE, 'public/app.js'), 'text/javascript; charset=utf-8'],
  '/style.css': [path.join(HERE, 'public/style.css'), 'text/css; charset=utf-8'],
  '/vendor/uPlot.iife.min.js': [path.join(UPLOT_DIR, 'dist/uPlot.iife.min.js'), 'text/javascript; charset=utf-8'],
  '/vendor/uPlot.min.css': [path.join(UPLOT_DIR, 'dist/uPlot.min.css'), 'text/css; charset=utf-8'],
}

function json(res, status, body) {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' })
  res.end(JSON.stringify(body))
}

async function route(req, res) {
  const url = new URL(req.url, 'http://localhost')
  const p = url.pathname
  if (req.method === 'GET' && Object.hasOwn(STATIC, p)) {
    const [file, type] = STATIC[p]
    res.writeHead(200, { 'content-type': type })
    res.end(await readFile(file))
    return
  }
  if (req.method === 'GET' && p === '/favicon.ico') {
    res.writeHead(204)
    res.end()
    return
  }
  if (req.method === 'GET' && p === '/api/config') {
    return json(res, 200, {
      scenarios: Object.entries(SCENARIOS).map(([id, s]) => ({ id, label: s.label })),
      customers: Object.entries(CUSTOMERS).map(([id, c]) => ({ id, name: c.name })),
      workloadTypes: GPU_WORKLOAD_TYPES,
      speed, tickSeconds,
    })
  }
  if (req.method === 'GET' && p === '/api/operator') return json(res, 200, driver.snapshot())
  let m
  if (req.method === 'GET' && (m = /^\/api\/customers\/([\w-]+)$/.exec(p))) return json(res, 200, driver.customerSnapshot(m[1]))
  if (req.method === 'POST' && p === '/api/workloads') {
    const b = await readJson(req)
    const submission = driver.submit(b.customerId, b.workloadType, {
      priority: b.priority, gpus: b.gpus, gpuMemoryGb: b.gpuMemoryGb, hours: b.hours,
    }, { pinned: true })
    broadcast()
    return json(res, submission.state === 'rejected' ? 422 : 201, submission)
  }
  if (req.method === 'POST' && (m = /^\/api\/workloads\/(\d+)\/cancel$/.exec(p))) {
    const b = await readJson(req)
    driver.cancel(b.customerId, Number(m[1]))
    broadcast()
    return json(res, 200, { workloadId: Number(m[1]), state: 'cancelled' })
  }
  if (req.method === 'POST' && p === '/api/scenario') {
    const b = await readJson(req)
    driver.setScenario(b.scenario)
    broadcast()
    return json(res, 200, { scenario: driver.scenario })
  }
  if (req.method === 'POST' && (p === '/api/pause' || p === '/api/resume')) {
    if (p === '/api/pause') driver.pause()
    else driver.resume()
    broadcast()
    return json(res, 200, { paused: !!driver.paused, timeSeconds: driver.timeSeconds })
  }
  throw new HttpError(404, `${req.method} ${p}: no such route`, 'NotFound')
}

const server = http.createServer((req, res) => {
  route(req, res).catch((err) => {
    const status = err instanceof HttpError ? err.status : STATUS_OF_CODE[err.code] ?? 500
    if (status === 500) console.error(err)
    if (!res.headersSent) json(res, status, { error: err.message, code: err.code ?? 'Internal' })
    else res.end()
  })
})

const wss = new WebSocketServer({ server, path: '/ws', maxPayload: 4096 })
wss.on('connection', (ws) => {
  const client = { ws, view: null, customerId: null }
  clients.add(client)
  ws.on('message', (data) => {
    let msg
    try {
      msg = JSON.parse(String(data))
    } catch {
      return send(client, { type: 'error', error: 'malformed JSON' })
    }
    if (msg.subscribe === 'operator') {
      Object.assign(client, { view: 'operator', customerId: null })
    } else if (msg.subscribe === 'customer' && Object.hasOwn(CUSTOMERS, msg.customerId)) {
      Object.assign(client, { view: 'customer', customerId: msg.customerId })
    } else {
      return send(client, { type: 'error', error: 'subscribe: "operator", or "customer" with a known customerId' })
    }
    push(client, driver.snapshot(), true)
  })
  ws.on('close', () => clients.delete(client))
  ws.on('error', () => clients.delete(client))
})

server.listen(Number(args.port), args.host, () => {
  const { address, port } = server.address()
  console.log(`hcp dashboard: http://${address}:${port}/  (operator: /#operator, customer: /#customer/acme; ${speed}× real time)`)
})

let stopping = false
function shutdown(signal) {
  if (stopping) return
  stopping = true
  clearInterval(timer)
  for (const client of clients) client.ws.close(1001, 'server stopping')
  wss.close()
  server.close(() => {
    driver.close()
    console.log(`hcp dashboard: stopped (${signal})`)
    process.exit(0)
  })
  server.closeAllConnections()
  setTimeout(() => process.exit(1), 5000).unref()
}
shutdownNow = shutdown
if (signalled) shutdown(signalled)
