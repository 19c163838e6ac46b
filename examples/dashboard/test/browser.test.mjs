// End-to-end test of the dashboard in a real browser: starts server.mjs on a free port, drives
// Debian's headless Chromium (playwright-core, no browser download) through both views, and
// saves the operator view as a screenshot (docs/dashboard.png, or $DASHBOARD_SCREENSHOT).
//
// Waits poll with generous timeouts and assert what happened, never how fast.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { existsSync, mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, test } from 'node:test'
import { fileURLToPath } from 'node:url'
import { chromium } from 'playwright-core'

const HERE = path.dirname(fileURLToPath(import.meta.url))
const ROOT = path.resolve(HERE, '../../..')
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium'
const SCREENSHOT = process.env.DASHBOARD_SCREENSHOT ?? path.join(ROOT, 'docs/dashboard.png')
const WAIT_MS = 60_000
// A Sunday noon: the first weekly billing period closes 12 simulated hours (12 s) in.
const START = '2024-09-01T12:00:00Z'

let server
let serverExit
let baseUrl
let context
let profileDir
let stderr = ''

before(async () => {
  assert.ok(existsSync(CHROMIUM), `${CHROMIUM} not found: install Debian's chromium (make dashboard-test does)`)
  server = spawn(process.execPath, [path.join(HERE, '../server.mjs'), '--port', '0', '--speed', '3600', '--start', START], { stdio: ['ignore', 'pipe', 'pipe'] })
  serverExit = new Promise((resolve) => server.on('exit', (code, signal) => resolve({ code, signal })))
  server.stderr.on('data', (d) => {
    stderr += d
    process.stderr.write(d)
  })
  baseUrl = await new Promise((resolve, reject) => {
    let out = ''
    server.stdout.on('data', (d) => {
      out += d
      const m = /hcp dashboard: (http:\/\/[\d.]+:\d+)\//.exec(out)
      if (m) resolve(m[1])
    })
    serverExit.then(({ code }) => reject(new Error(`server exited (${code}) before listening: ${stderr}`)))
  })
  profileDir = mkdtempSync(path.join(tmpdir(), 'hcp-dashboard-chromium-'))
  context = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1100 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  })
})

after(async () => {
  if (context) await context.close()
  if (profileDir) rmSync(profileDir, { recursive: true, force: true })
  if (server && server.exitCode === null && server.signalCode === null) {
    server.kill('SIGTERM')
    const { code } = await serverExit
    assert.equal(code, 0, `server did not stop cleanly: ${stderr}`)
  }
})

// How many pixels of a canvas are near `rgb` (uPlot draws every series on one canvas; lines are
// antialiased and blended with their fills, hence the tolerance).
async function canvasHasColour(page, selector, rgb) {
  return page.$eval(selector, (canvas, [r, g, b]) => {
    const ctx = canvas.getContext('2d')
    const { data } = ctx.getImageData(0, 0, canvas.width, canvas.height)
    let hits = 0
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < 48 && Math.abs(data[i + 1] - g) < 48 && Math.abs(data[i + 2] - b) < 48 && data[i + 3] > 200) hits++
    }
    return hits
  }, rgb)
}

async function text(page, testId) {
  return (await page.getByTestId(testId).textContent()).trim()
}

test('operator view: charts with data, live values, scenario and pause controls', async () => {
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  const external = []
  page.on('request', (r) => { if (!r.url().startsWith(baseUrl) && !r.url().startsWith('ws://')) external.push(r.url()) })
  await page.goto(`${baseUrl}/#operator`)

  // Charts fill with the run's history and keep growing.
  await page.waitForFunction(() => {
    const c = window.hcpDashboard?.charts
    return c?.power && c.power.data[0].length >= 3 && c.price.data[0].length >= 3 && c.money.data[0].length >= 3
  }, null, { timeout: WAIT_MS })
  const series = await page.evaluate(() => {
    const c = window.hcpDashboard.charts
    return { mining: c.power.data[1].at(-1), cap: c.power.data[3].at(-1), price: c.price.data[1].length, profit: c.money.data[3].length }
  })
  assert.ok(series.mining > 1000 && series.mining < series.cap, `mining kW ${series.mining} within the cap ${series.cap}`)
  assert.ok(series.price > 0 && series.profit > 0)
  // The series are drawn: the power chart has mining-orange and GPU-blue pixels, the price chart yellow.
  await page.waitForFunction(() => document.querySelectorAll('.uplot canvas').length >= 3, null, { timeout: WAIT_MS })
  assert.ok(await canvasHasColour(page, '#chart-power canvas', [247, 147, 26]) > 50, 'mining series drawn')
  assert.ok(await canvasHasColour(page, '#chart-power canvas', [79, 163, 255]) > 50, 'GPU series drawn')
  assert.ok(await canvasHasColour(page, '#chart-price canvas', [245, 197, 66]) > 20, 'price series drawn')

  // Tiles show the site: miners mining, GPUs by state, revenue.
  assert.match(await text(page, 'miners'), /^[\d,]+ mining$/)
  assert.match(await text(page, 'gpus'), /serving \d+.*idle \d+.*sleeping \d+/)
  assert.match(await text(page, 'price'), /^\$-?[\d,.]+\/MWh$/)

  // Live: the clock and the revenue move on by themselves.
  const clock = await text(page, 'sim-time')
  const revenue = await text(page, 'revenue')
  await page.waitForFunction(([c, r]) => document.querySelector('[data-testid=sim-time]').textContent.trim() !== c &&
    document.querySelector('[data-testid=revenue]').textContent.trim() !== r, [clock, revenue], { timeout: WAIT_MS })

  // Pause stops the clock (the server says so); resume starts it again.
  await page.getByTestId('pause').click()
  await page.waitForFunction(() => document.querySelector('#conn').textContent === 'paused', null, { timeout: WAIT_MS })
  const pausedAt = (await (await fetch(`${baseUrl}/api/operator`)).json()).timeSeconds
  await new Promise((r) => setTimeout(r, 1500))
  assert.equal((await (await fetch(`${baseUrl}/api/operator`)).json()).timeSeconds, pausedAt, 'the clock stands still while paused')
  await page.getByTestId('pause').click()
  await page.waitForFunction(() => document.querySelector('#conn').textContent === 'live', null, { timeout: WAIT_MS })
  await page.waitForFunction((t) => window.hcpDashboard.last.snapshot.timeSeconds > t, pausedAt, { timeout: WAIT_MS })

  // Changing the price scenario reaches the server and the page: the replayed 2024-08-20 spike
  // ($4,858/MWh) makes the site plan put miners to sleep, and the page shows it.
  await page.getByTestId('scenario').selectOption('spike')
  await page.waitForFunction(() => /2024-08-20/.test(document.querySelector('[data-testid=scenario-label]').textContent), null, { timeout: WAIT_MS })
  assert.equal((await (await fetch(`${baseUrl}/api/operator`)).json()).scenario, 'spike')
  await page.waitForFunction(() => document.querySelector('[data-testid=alerts]').textContent.includes('Price scenario'), null, { timeout: WAIT_MS })
  await page.waitForFunction(() => window.hcpDashboard.last.snapshot.miners.curtailedByPlan > 500, null, { timeout: WAIT_MS })
  await page.waitForFunction(() => /Plan: 1000 of 1000 miners asleep/.test(document.querySelector('[data-testid=alerts]').textContent), null, { timeout: WAIT_MS })
  const sleeping = Number((await page.locator('#miners-detail').textContent()).match(/^([\d,]+) sleeping/)[1].replace(/,/g, ''))
  assert.ok(sleeping > 500, `${sleeping} miners asleep during the spike`)

  // Keep the picture for the README once the spike has passed and the charts show it.
  await page.waitForFunction(() => window.hcpDashboard.last.snapshot.miners.curtailedByPlan < 100 && window.hcpDashboard.charts.power.data[0].length >= 30, null, { timeout: WAIT_MS })
  await page.screenshot({ path: SCREENSHOT, fullPage: true })

  await page.getByTestId('scenario').selectOption('history')
  await page.waitForFunction(() => /2024-09-/.test(document.querySelector('[data-testid=scenario-label]').textContent), null, { timeout: WAIT_MS })
  assert.deepEqual(errors, [], 'no errors on the page')
  assert.deepEqual(external, [], 'nothing fetched from outside the server (works offline)')
  await page.close()
})

test('customer view: submit a workload, see it run and finish, spend and invoices', async () => {
  const page = await context.newPage()
  const errors = []
  page.on('pageerror', (e) => errors.push(e.message))
  await page.goto(`${baseUrl}/#customer/globex`)
  await page.waitForFunction(() => window.hcpDashboard?.last?.type === 'customer', null, { timeout: WAIT_MS })
  assert.match(await text(page, 'spend'), /^\$[\d,.]+ of \$20,000$/)
  await page.waitForFunction(() => window.hcpDashboard.charts.spend?.data[0].length >= 2, null, { timeout: WAIT_MS })

  // Another customer's work is not in this view.
  const shown = await page.evaluate(() => window.hcpDashboard.last.snapshot.workloads.map((w) => w.id))
  const acme = await (await fetch(`${baseUrl}/api/customers/acme`)).json()
  assert.ok(acme.workloads.length > 0)
  assert.ok(acme.workloads.every((w) => !shown.includes(w.id)), 'no acme workload in globex view')

  // Submit a one-hour batch job from the form while the clock is paused: it appears queued, the
  // operator view counts it at its priority; after resume it runs and completes.
  const post = (url, body) => fetch(`${baseUrl}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  assert.equal((await post('/api/pause', {})).status, 200)
  await page.waitForFunction(() => document.querySelector('#conn').textContent === 'paused', null, { timeout: WAIT_MS })
  await page.locator('#f-type').selectOption('ai_inference_batch')
  await page.locator('input[name=gpus]').fill('2')
  await page.locator('input[name=priority]').fill('4')
  await page.locator('input[name=hours]').fill('1')
  await page.getByTestId('submit').click()
  await page.waitForFunction(() => /Workload \d+ submitted/.test(document.querySelector('[data-testid=submit-result]').textContent), null, { timeout: WAIT_MS })
  const id = await page.getByTestId('submit-result').getAttribute('data-workload-id')
  const cell = page.getByTestId(`state-${id}`)
  await cell.waitFor({ timeout: WAIT_MS })
  assert.equal((await cell.textContent()).trim(), 'queued')

  const operator = await context.newPage()
  await operator.goto(`${baseUrl}/#operator`)
  await operator.waitForFunction(() => Number(document.querySelector('#queue .bar[title="priority 4"] span')?.textContent) >= 1, null, { timeout: WAIT_MS })
  await operator.close()

  assert.equal((await post('/api/resume', {})).status, 200)
  await page.waitForFunction((wid) => document.querySelector(`[data-testid=state-${wid}]`)?.textContent.trim() !== 'queued', id, { timeout: WAIT_MS })
  await page.waitForFunction((wid) => document.querySelector(`[data-testid=state-${wid}]`)?.textContent.trim() === 'completed', id, { timeout: WAIT_MS })

  // A rejected submission says why.
  await page.locator('input[name=gpus]').fill('64')
  await page.locator('#f-type').selectOption('model_training')
  await page.locator('input[name=priority]').fill('3')
  await page.getByTestId('submit').click()
  await page.waitForFunction(() => /Workload \d+ submitted|Not accepted/.test(document.querySelector('[data-testid=submit-result]').textContent), null, { timeout: WAIT_MS })

  // Usage is billed: the open invoice has lines, and spend moves.
  await page.waitForFunction(() => document.querySelectorAll('#usage tr').length > 0, null, { timeout: WAIT_MS })
  // Invoices are issued at each period end (the first weekly period ends 2024-09-02).
  await page.waitForFunction(() => /globex\//.test(document.querySelector('[data-testid=invoices]').textContent), null, { timeout: WAIT_MS })
  assert.deepEqual(errors, [])
  await page.close()
})

test('the server refuses bad requests with JSON errors', async () => {
  const post = (url, body) => fetch(`${baseUrl}${url}`, { method: 'POST', headers: { 'content-type': 'application/json' }, body })
  let r = await post('/api/workloads', '{not json')
  assert.equal(r.status, 400)
  assert.equal((await r.json()).code, 'InvalidInput')
  r = await post('/api/workloads', JSON.stringify({ customerId: 'acme', workloadType: 'ai_inference_batch', priority: 11 }))
  assert.equal(r.status, 422)
  assert.equal((await r.json()).state, 'rejected')
  r = await post('/api/workloads', JSON.stringify({ customerId: 'nobody', workloadType: 'ai_inference_batch' }))
  assert.equal(r.status, 404)
  r = await post('/api/scenario', JSON.stringify({ scenario: 'moon' }))
  assert.equal(r.status, 400)
  r = await post('/api/workloads', 'x'.repeat(100_000))
  assert.equal(r.status, 413)
  // A customer cannot cancel another's workload.
  const acme = await (await fetch(`${baseUrl}/api/customers/acme`)).json()
  r = await post(`/api/workloads/${acme.workloads[0].id}/cancel`, JSON.stringify({ customerId: 'globex' }))
  assert.equal(r.status, 404)
})
