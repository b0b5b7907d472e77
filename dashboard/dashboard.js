// infra-sync's dashboard: a read-only view of the operator API (GET /v1/services, /v1/events,
// /v1/deployments), refreshed every few seconds. Every value is written with textContent and
// only http(s) links are made: names, reasons and URLs come from repos and builds.
'use strict'

const TOKEN_KEY = 'infra-sync-admin-token'
/** Set once a token was typed: a refusal after that is shown, the first one only asks. */
const TRIED_KEY = 'infra-sync-admin-token-tried'
const REFRESH_MS = 5000
const ATTENTION = ['dead', 'failed', 'waiting']

const $ = (id) => document.getElementById(id)

class ApiError extends Error {
  constructor(status, code, message) {
    super(message)
    this.status = status
    this.code = code
  }
}

async function api(path, method = 'GET') {
  const token = sessionStorage.getItem(TOKEN_KEY)
  const res = await fetch(path, { method, headers: token ? { authorization: `Bearer ${token}` } : {} })
  const body = await res.json().catch(() => ({}))
  if (!res.ok) throw new ApiError(res.status, body.code || `HTTP_${res.status}`, body.message || res.statusText)
  return body
}

function cell(text, className) {
  const td = document.createElement('td')
  if (text !== undefined && text !== null) td.textContent = String(text)
  if (className) td.className = className
  return td
}

function safeUrl(url) {
  try {
    const u = new URL(url, location.href)
    return u.protocol === 'http:' || u.protocol === 'https:' ? u.href : null
  } catch {
    return null
  }
}

function link(text, url) {
  const td = document.createElement('td')
  const href = url && safeUrl(url)
  if (href) {
    const a = document.createElement('a')
    a.href = href
    a.rel = 'noreferrer'
    a.textContent = text
    td.append(a)
  } else if (text) td.textContent = text
  return td
}

/** The commit or pull request that carried a value: a link when the forge gives one. */
function carrier(row) {
  if (row.pullRequest) return link(`#${row.pullRequest.number}${row.mergedBy ? ` (${row.mergedBy})` : ''}`, row.pullRequest.url)
  return link(row.commit ? row.commit.slice(0, 10) : '', row.commitUrl)
}

const when = (iso) => (iso ? new Date(iso).toLocaleString() : '')

function fill(tbody, rows) {
  tbody.replaceChildren(...rows)
}

function serviceRow(s) {
  const tr = document.createElement('tr')
  tr.dataset.service = s.service
  if (s.environment) tr.dataset.environment = s.environment
  if (s.error) tr.className = 'error'
  const value = s.error ? `${s.error.code}: ${s.error.message}` : s.value ?? ''
  const pin = s.pin ? `${s.pin.by}${s.pin.value ? ` ${s.pin.value}` : ''}${s.pin.reason ? `: ${s.pin.reason}` : ''}` : ''
  const open = s.openPullRequest ? link(`#${s.openPullRequest.number}${s.openPullRequest.value ? ` → ${s.openPullRequest.value}` : ''}`, s.openPullRequest.url) : cell('')
  const window = !s.window ? '' : s.window.open ? 'open' : s.window.nextOpenAt ? `closed until ${when(s.window.nextOpenAt)}` : 'closed'
  tr.append(cell(s.service), cell(s.environment ?? ''), cell(value, 'value'), cell(s.recorded ? when(s.since) : s.error ? '' : 'not by infra-sync'), s.recorded ? carrier(s) : cell(''), cell(s.update ?? ''), cell(pin), cell(window, 'window'), open)
  return tr
}

function attentionRow(e) {
  const tr = document.createElement('tr')
  tr.className = e.status
  tr.dataset.event = e.id
  const image = `${e.image ?? ''}${e.tag ? `:${e.tag}` : ''}${e.digest ? `@${e.digest}` : ''}`
  const since = e.status === 'waiting' && e.nextAttemptAt ? `until ${when(e.nextAttemptAt)}` : when(e.updatedAt)
  tr.append(cell(e.status), cell(e.id, 'value'), cell(image, 'value'), cell(e.code ?? '', 'code'), cell(e.reason ?? ''), cell(since), e.status === 'waiting' ? cell('') : retryCell(e.id))
  return tr
}

/** Dead and failed events go back in the queue (POST /v1/events/:id/retry), once the person fixed what failed them. */
function retryCell(id) {
  const td = document.createElement('td')
  const button = document.createElement('button')
  button.type = 'button'
  button.className = 'retry'
  button.textContent = 'Retry'
  button.addEventListener('click', async () => {
    button.disabled = true
    try {
      await api(`/v1/events/${encodeURIComponent(id)}/retry`, 'POST')
    } catch (e) {
      // EVENT_NOT_RETRYABLE (it moved on meanwhile), or the token: the refresh shows where it is.
      $('state').textContent = `could not retry ${id}: ${e instanceof ApiError ? e.code : e.message}`
      $('state').dataset.state = e instanceof ApiError ? e.code : 'NETWORK'
      return
    }
    refresh()
  })
  td.append(button)
  return td
}

function deploymentRow(d) {
  const tr = document.createElement('tr')
  tr.dataset.service = d.service
  tr.dataset.environment = d.environment
  const health = d.failedAt ? `failed ${when(d.failedAt)}${d.healthReason ? `: ${d.healthReason}` : ''}` : d.healthyAt ? `healthy ${when(d.healthyAt)}` : ''
  tr.append(cell(when(d.appliedAt)), cell(d.service), cell(d.environment), cell(`${d.from ?? '∅'} → ${d.to}`, 'value'), cell(d.kind), carrier(d), cell(health))
  return tr
}

function showLogin(error) {
  $('data').hidden = true
  $('login').hidden = false
  $('login-error').textContent = error ? error.code : ''
  $('state').textContent = 'sign in'
  $('token').focus()
}

let timer = null

async function refresh() {
  clearTimeout(timer)
  try {
    const [services, deployments, ...lists] = await Promise.all([api('/v1/services'), api('/v1/deployments?limit=20'), ...ATTENTION.map((s) => api(`/v1/events?status=${s}&limit=50`))])
    fill($('services').tBodies[0], services.services.map(serviceRow))
    fill($('deployments').tBodies[0], deployments.deployments.map(deploymentRow))
    const attention = lists.flatMap((l) => l.events)
    fill($('attention').tBodies[0], attention.map(attentionRow))
    $('attention-empty').hidden = attention.length > 0
    $('attention').hidden = attention.length === 0
    $('login').hidden = true
    $('data').hidden = false
    const heads = services.heads.map((h) => `${h.repo ? `${h.repo} at ` : 'at '}${h.commit ? h.commit.slice(0, 10) : 'no commit yet'}`).join(', ')
    $('state').textContent = `${heads} · updated ${new Date().toLocaleTimeString()}`
    $('state').dataset.state = 'ok'
  } catch (e) {
    if (e instanceof ApiError && e.code === 'ADMIN_UNAUTHORIZED') {
      sessionStorage.removeItem(TOKEN_KEY)
      return showLogin(sessionStorage.getItem(TRIED_KEY) ? e : null)
    }
    // ADMIN_TOKEN_REQUIRED (no token configured, and this is not the machine itself), the server
    // restarting, a worker not ready yet: keep what is shown and say why, by code.
    $('state').textContent = `could not refresh: ${e instanceof ApiError ? e.code : e.message}`
    $('state').dataset.state = e instanceof ApiError ? e.code : 'NETWORK'
  }
  if (!document.hidden) timer = setTimeout(refresh, REFRESH_MS)
}

$('login').addEventListener('submit', (ev) => {
  ev.preventDefault()
  sessionStorage.setItem(TOKEN_KEY, $('token').value)
  sessionStorage.setItem(TRIED_KEY, '1')
  $('token').value = ''
  refresh()
})
document.addEventListener('visibilitychange', () => {
  if (!document.hidden) refresh()
})
refresh()
