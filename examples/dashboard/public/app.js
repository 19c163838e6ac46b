// The dashboard page: subscribes to the operator or a customer view over the WebSocket at /ws,
// draws what the server sends (uPlot charts, served from the server's node_modules), and sends the
// controls as JSON requests. It computes nothing about the site: every figure comes from the server.
'use strict'

const $ = (id) => document.getElementById(id)
const HISTORY_LIMIT = 2000
const COLORS = { mining: '#f7931a', gpu: '#4fa3ff', cap: '#ff5c5c', ok: '#3ecf8e', warn: '#f5c542', muted: '#8a98a8', line: '#2a3440' }
const GPU_STATE_COLORS = { serving: '#4fa3ff', switching: '#b18cff', idle: '#5b6b7c', sleeping: '#2e3b49', faulted: '#ff5c5c' }

const state = { config: null, ws: null, view: null, customerId: null, charts: {}, last: null, retry: null }
// For tests and the curious: the charts and the last message.
window.hcpDashboard = state

const usd = (x, digits = 0) => `$${Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })}`
const num = (x, digits = 0) => Number(x).toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
const shortTime = (iso) => (iso ? iso.replace('T', ' ').replace(/:00Z$/, ' UTC').replace(/Z$/, ' UTC') : '—')

async function api(method, url, body) {
  const res = await fetch(url, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) })
  const data = await res.json()
  return { ok: res.ok, status: res.status, data }
}

// ------------------------------------------------------------------ charts

function axis() {
  return { stroke: COLORS.muted, grid: { stroke: COLORS.line, width: 1 }, ticks: { stroke: COLORS.line } }
}

function makeChart(id, series, height, { fromZero = false, bands } = {}) {
  const el = $(id)
  el.textContent = ''
  const opts = {
    width: Math.max(300, el.clientWidth || 600),
    height: height ?? 220,
    tzDate: (ts) => uPlot.tzDate(new Date(ts * 1e3), 'Etc/UTC'),
    scales: { x: { time: true }, ...(fromZero ? { y: { range: (u, min, max) => [0, max * 1.05] } } : {}) },
    axes: [axis(), { ...axis(), size: 60 }],
    legend: { show: true, live: false },
    series: [{}, ...series],
    ...(bands ? { bands } : {}),
  }
  const data = [[], ...series.map(() => [])]
  const chart = new uPlot(opts, data, el)
  chart.hcpData = data
  return chart
}

function appendPoints(chart, rows, pick) {
  const data = chart.hcpData
  for (const row of rows) {
    if (data[0].length && row.t <= data[0][data[0].length - 1]) continue
    data[0].push(row.t)
    pick(row).forEach((v, i) => data[i + 1].push(v))
  }
  if (data[0].length > HISTORY_LIMIT) for (const col of data) col.splice(0, col.length - HISTORY_LIMIT)
  chart.setData(data)
}

const pickPower = (r) => [r.miningKw, r.miningKw + r.gpuKw, r.deviceCapKw]
const pickPrice = (r) => [r.electricityUsdPerMwh]
const pickMoney = (r) => [r.revenueUsd, r.energyCostUsd, r.profitUsd]
const pickSpend = (r) => [r.spendUsd, r.budgetUsd]

function setupOperatorCharts() {
  destroyCharts()
  state.charts.power = makeChart('chart-power', [
    { label: 'Mining kW', stroke: COLORS.mining, fill: 'rgba(247,147,26,0.25)', width: 1.5 },
    { label: 'Mining + GPU kW', stroke: COLORS.gpu, width: 1.5 },
    { label: 'Cap kW', stroke: COLORS.cap, dash: [6, 4], width: 1.5 },
  ], 240, { fromZero: true, bands: [{ series: [2, 1], fill: 'rgba(79,163,255,0.35)' }] })
  state.charts.price = makeChart('chart-price', [{ label: '$/MWh', stroke: COLORS.warn, width: 1.5 }])
  state.charts.money = makeChart('chart-money', [
    { label: 'Revenue', stroke: COLORS.ok, width: 1.5 },
    { label: 'Energy cost', stroke: COLORS.cap, width: 1.5 },
    { label: 'Profit', stroke: COLORS.gpu, width: 2 },
  ])
}

function setupCustomerCharts() {
  destroyCharts()
  state.charts.spend = makeChart('chart-spend', [
    { label: 'Spend $', stroke: COLORS.gpu, fill: 'rgba(79,163,255,0.18)', width: 1.5 },
    { label: 'Budget $', stroke: COLORS.cap, dash: [6, 4], width: 1.5 },
  ], 170)
}

function destroyCharts() {
  for (const c of Object.values(state.charts)) c.destroy()
  state.charts = {}
}

window.addEventListener('resize', () => {
  for (const c of Object.values(state.charts)) c.setSize({ width: Math.max(300, c.root.parentElement.clientWidth), height: c.height })
})

// ------------------------------------------------------------------ operator view

function renderOperator(s) {
  $('sim-time').textContent = shortTime(s.time)
  setBadge(s.paused)
  $('pause').textContent = s.paused ? 'Resume' : 'Pause'
  $('scenario').value = s.scenario
  $('scenario-label').textContent = s.pricesAsOf ? `prices as of ${shortTime(s.pricesAsOf)}` : 'synthetic prices (hcp seeded market)'

  const p = s.price
  $('price').textContent = `$${num(p.electricityUsdPerMwh, 1)}/MWh`
  $('price-detail').textContent = `tariff $${num(p.tariffUsdPerKwh, 3)}/kWh · S21 break-even $${num(p.minerBreakevenUsdPerKwh, 3)}/kWh · BTC ${usd(p.btcUsd)} · H100 ${usd(p.gpuUsdPerHour, 2)}/h`

  const w = s.power
  $('power').textContent = `${num(w.miningKw + w.gpuKw)} kW`
  $('power').classList.toggle('over', w.overCap)
  $('power-bar').innerHTML = `<div style="width:${(100 * w.miningKw) / w.deviceCapKw}%;background:${COLORS.mining}"></div>` +
    `<div style="width:${(100 * w.gpuKw) / w.deviceCapKw}%;background:${COLORS.gpu}"></div>`
  $('power-detail').textContent = `mining ${num(w.miningKw)} · GPUs ${num(w.gpuKw)} of ${num(w.deviceCapKw)} kW (cap ${num(w.capKw)} kW at the meter, PUE ${w.pue})`

  const m = s.miners
  $('miners').textContent = `${num(m.mining)} mining`
  $('miners-detail').textContent = `${num(m.sleeping)} sleeping (${m.curtailedByPlan} on price, ${m.curtailedForGpus} for GPU work) · ${m.switching} ramping · ${m.faulted} faulted`

  const g = s.gpus
  const order = ['serving', 'switching', 'idle', 'sleeping', 'faulted']
  $('gpu-bar').innerHTML = order.map((k) => `<div style="width:${(100 * g[k]) / g.total}%;background:${GPU_STATE_COLORS[k]}"></div>`).join('')
  $('gpu-legend').innerHTML = order.map((k) => `<span data-state="${k}"><i style="background:${GPU_STATE_COLORS[k]}"></i>${k} <b>${g[k]}</b></span>`).join('')

  const money = s.money
  $('revenue').textContent = usd(money.revenueUsd)
  $('revenue-detail').textContent = `mining ${usd(money.miningRevenueUsd)} (${num(money.minedBtc, 4)} BTC) · GPUs ${usd(money.gpuRevenueUsd)}`
  $('profit').textContent = usd(money.profitUsd)
  $('profit-detail').textContent = `energy ${usd(money.energyCostUsd)} for ${num(money.energyKwh / 1000, 1)} MWh · plan now ${usd(w.plan.profitUsdPerHour)}/h`

  const depth = s.queue.depthByPriority
  const max = Math.max(1, ...depth)
  $('queue').innerHTML = depth.map((d, i) => `<div class="bar" title="priority ${i + 1}"><span>${d}</span><div style="height:${(100 * d) / max}%"></div><span>P${i + 1}</span></div>`).join('')
  const c = s.queue.counts
  $('queue-detail').textContent = `${c.queued} queued · ${c.running} running · ${c.completed} completed · ${c.failed} failed · ${c.rejected} rejected · ${c.preemptions} preemptions`

  $('customers').innerHTML = s.customers.map((x) => `<tr><td><a href="#customer/${x.id}">${x.name}</a></td><td>${x.active}</td><td>${x.queued}</td>` +
    `<td>${usd(x.spendToDateUsd, 2)} (${num(x.usedPercent, 1)} %)</td><td>${usd(x.budgetUsd)}</td></tr>`).join('')
  $('alerts').innerHTML = s.alerts.map((a) => `<li class="${a.level}"><span class="at">${shortTime(a.at)}</span>${escapeHtml(a.message)}</li>`).join('')
}

// ------------------------------------------------------------------ customer view

function renderCustomer(s) {
  $('sim-time').textContent = shortTime(s.time)
  setBadge(s.paused)
  $('customer-select').value = s.customer.id
  $('customer-name').textContent = `${s.customer.name}: budget ${usd(s.customer.budgetUsd)} per billing period`
  const b = s.budget
  const used = Number(b.usedPercent)
  $('spend').textContent = `${usd(b.spendToDate, 2)} of ${usd(b.budget)}`
  const bar = $('spend-bar')
  bar.style.width = `${Math.min(100, used)}%`
  bar.className = used >= 100 ? 'over' : used >= 80 ? 'warn' : ''
  const alerts = b.alerts.map((a) => `${a.thresholdPercent} % ${a.reached ? 'reached' : 'forecast'}`).join(', ')
  $('spend-detail').textContent = `${num(used, 1)} % used · forecast ${usd(b.forecast, 2)} by ${shortTime(b.periodEnd)}${alerts ? ` · alerts: ${alerts}` : ''}`

  const n = s.counts
  $('workload-states').textContent = `${n.submitted} submitted · ${n.queued} queued · ${n.active} running on ${n.gpusHeld} GPUs`
  $('workloads').innerHTML = s.workloads.map((w) => {
    const cancellable = ['queued', 'assigned', 'running'].includes(w.state)
    return `<tr data-id="${w.id}"${w.pinned ? ' class="pinned"' : ''}><td>${w.id}${w.pinned ? ' ★' : ''}</td><td>${w.workloadType}</td><td>${w.priority}</td><td>${w.gpus}</td>` +
      `<td class="state ${w.state}" data-testid="state-${w.id}" title="${escapeHtml(w.reason ?? '')}">${w.state}</td>` +
      `<td>${shortTime(w.endsAt)}</td><td>${cancellable ? `<button data-cancel="${w.id}">Cancel</button>` : ''}</td></tr>`
  }).join('')

  const inv = s.openInvoice
  $('usage').innerHTML = inv.lines.map((l) => `<tr><td>${escapeHtml(l.group.workload_type ?? '—')}</td><td>${num(l.units, 2)}</td><td>${inv.currency} ${l.amount}</td></tr>`).join('')
  $('open-invoice').textContent = `Open period ${shortTime(inv.periodStart)} → ${shortTime(inv.periodEnd)}: ${inv.currency} ${inv.total} so far`
  $('invoices').innerHTML = s.invoices.length
    ? s.invoices.map((i) => `<tr><td>${escapeHtml(i.number)}</td><td>${shortTime(i.periodStart)} → ${shortTime(i.periodEnd)}</td><td>${i.currency} ${i.total}</td></tr>`).join('')
    : '<tr><td colspan="3" class="muted">none issued yet (the first period closes at its end)</td></tr>'
}

// ------------------------------------------------------------------ wiring

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c])
}

function setBadge(paused) {
  const b = $('conn')
  b.textContent = paused ? 'paused' : 'live'
  b.className = `badge ${paused ? 'paused' : 'live'}`
}

function route() {
  const hash = location.hash.replace(/^#/, '')
  const m = /^customer\/([\w-]+)$/.exec(hash)
  const view = m ? 'customer' : 'operator'
  state.view = view
  state.customerId = m ? m[1] : null
  $('operator').hidden = view !== 'operator'
  $('customer').hidden = view !== 'customer'
  $('nav-operator').classList.toggle('active', view === 'operator')
  $('nav-customer').classList.toggle('active', view === 'customer')
  if (view === 'customer') $('nav-customer').href = `#customer/${state.customerId}`
  if (view === 'operator') setupOperatorCharts()
  else setupCustomerCharts()
  subscribe()
}

function subscribe() {
  if (!state.ws || state.ws.readyState !== WebSocket.OPEN) return
  state.ws.send(JSON.stringify(state.view === 'operator' ? { subscribe: 'operator' } : { subscribe: 'customer', customerId: state.customerId }))
}

function connect() {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws`)
  state.ws = ws
  ws.onopen = subscribe
  ws.onmessage = (ev) => {
    const msg = JSON.parse(ev.data)
    state.last = msg
    if (msg.type === 'operator' && state.view === 'operator') {
      const rows = msg.history ?? (msg.point ? [msg.point] : [])
      appendPoints(state.charts.power, rows, pickPower)
      appendPoints(state.charts.price, rows, pickPrice)
      appendPoints(state.charts.money, rows, pickMoney)
      renderOperator(msg.snapshot)
    } else if (msg.type === 'customer' && state.view === 'customer' && msg.snapshot.customer.id === state.customerId) {
      appendPoints(state.charts.spend, msg.history ?? (msg.point ? [msg.point] : []), pickSpend)
      renderCustomer(msg.snapshot)
    }
  }
  ws.onclose = () => {
    $('conn').textContent = 'disconnected'
    $('conn').className = 'badge down'
    clearTimeout(state.retry)
    state.retry = setTimeout(connect, 1000)
  }
}

async function init() {
  const { data: config } = await api('GET', '/api/config')
  state.config = config
  $('scenario').innerHTML = config.scenarios.map((s) => `<option value="${s.id}">${escapeHtml(s.label)}</option>`).join('')
  $('customer-select').innerHTML = config.customers.map((c) => `<option value="${c.id}">${escapeHtml(c.name)}</option>`).join('')
  $('f-type').innerHTML = config.workloadTypes.map((t) => `<option value="${t}">${t}</option>`).join('')

  $('scenario').addEventListener('change', (e) => api('POST', '/api/scenario', { scenario: e.target.value }))
  $('pause').addEventListener('click', () => api('POST', state.last?.snapshot?.paused ? '/api/resume' : '/api/pause'))
  $('customer-select').addEventListener('change', (e) => { location.hash = `customer/${e.target.value}` })
  $('submit-form').addEventListener('submit', async (e) => {
    e.preventDefault()
    const f = new FormData(e.target)
    const body = { customerId: state.customerId, workloadType: f.get('workloadType'), gpus: Number(f.get('gpus')), hours: Number(f.get('hours')) }
    if (f.get('priority')) body.priority = Number(f.get('priority'))
    const { ok, data } = await api('POST', '/api/workloads', body)
    const result = $('submit-result')
    result.dataset.workloadId = data.workloadId ?? ''
    result.textContent = ok ? `Workload ${data.workloadId} submitted (${data.state})` : `Not accepted: ${data.reason ?? data.error}`
  })
  $('workloads').addEventListener('click', (e) => {
    const id = e.target.dataset?.cancel
    if (id) api('POST', `/api/workloads/${id}/cancel`, { customerId: state.customerId })
  })
  window.addEventListener('hashchange', route)
  route()
  connect()
}

init()
