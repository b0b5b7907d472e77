import fs from 'node:fs'
import path from 'node:path'
import { chromium, type Browser, type Page } from 'playwright-core'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * The dashboard in a real browser (Debian's chromium, headless, driven by
 * playwright-core) against a real `node dist/cli.js serve` with an admin
 * token: it asks for the token, refuses a wrong one by its code, then shows
 * what runs where, what needs attention and recent deployments. Text from
 * repos is shown as text, never run.
 */
const CHROMIUM = process.env.INFRA_SYNC_TEST_CHROMIUM ?? '/usr/bin/chromium'
const ADMIN = 'dashboard-admin-token-0123456789abcdef'
const HOSTILE = '<img src=x onerror="document.title=`pwned`">'

function infraFiles(): Record<string, string> {
  const files = exampleInfraFiles()
  // orders-api waits behind a window that never opens; a folder whose config names a hostile image is refused.
  const orders = 'services/orders-api/infra-sync.yaml'
  files[orders] = `${files[orders]}windows:\n  - { kind: deny, schedule: "* * * * *", duration: 1h }\n`
  files['services/broken/infra-sync.yaml'] = `source: acme/broken\nimage: '${HOSTILE}'\n`
  return files
}

t.test('the dashboard asks for the token, then shows what runs where, what waits and what was deployed', async (t) => {
  t.ok(fs.existsSync(CHROMIUM), `a chromium at ${CHROMIUM} (.ci/run installs Debian's; INFRA_SYNC_TEST_CHROMIUM names another)`)
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, infraFiles())
  const git = await startGitServer(bare)
  t.teardown(() => git.close())
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: git.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_ADMIN_TOKEN: ADMIN, INFRA_SYNC_DATA: `${dir}/data` })
  t.teardown(() => server.proc.kill('SIGKILL'))

  const send = async (event: Record<string, unknown>) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', ...event })
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
    t.equal(res.status, 202)
    return ((await res.json()) as { id: string }).id
  }
  const status = async (id: string) => ((await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string }).status
  const applied = await send({ source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-2222222' })
  const waiting = await send({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.9.0' })
  await eventually(async () => ((await status(applied)) === 'applied' && (await status(waiting)) === 'waiting' ? true : undefined), 30_000, 'one applied, one waiting')

  const page0 = await fetch(`${server.url}/dashboard`)
  t.equal(page0.status, 200)
  t.match(page0.headers.get('content-security-policy'), /script-src 'self'/)
  t.match(page0.headers.get('content-type'), /^text\/html/)

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  const errors: string[] = []
  page.on('pageerror', (e) => errors.push(e.message))
  page.on('console', (m) => m.type() === 'error' && !/401/.test(m.text()) && errors.push(m.text()))
  await page.goto(`${server.url}/dashboard`)

  // No token yet: the form, with no complaint; a wrong one: the refusal's code.
  await page.locator('#login').waitFor({ state: 'visible' })
  t.equal(await page.locator('#login-error').textContent(), '')
  await page.fill('#token', 'not-the-token')
  await page.click('#login button')
  await page.locator('#login-error', { hasText: 'ADMIN_UNAUTHORIZED' }).waitFor()
  t.ok(await page.locator('#data').isHidden(), 'nothing shown without the token')

  await page.fill('#token', ADMIN)
  await page.click('#login button')
  await page.locator('#data').waitFor({ state: 'visible' })
  t.match(await page.locator('#state').getAttribute('data-state'), 'ok')
  t.ok(await page.locator('#login').isHidden(), 'the form goes once signed in')

  const payments = page.locator('#services tr[data-service="payments-worker"][data-environment="dev"]')
  await payments.waitFor()
  t.match(await payments.locator('td').nth(2).textContent(), 'main-2222222', 'the value the commit put there')
  t.match(await page.locator('#services tr[data-service="orders-api"][data-environment="dev"] td').nth(2).textContent(), /\S/, "orders-api's value, set by no one here")

  const held = page.locator(`#attention tr[data-event="${waiting}"]`)
  await held.waitFor()
  t.equal(await held.getAttribute('class'), 'waiting')
  t.equal(await held.locator('td').nth(3).textContent(), 'window-closed')
  t.equal(await page.locator('#services tr[data-service="orders-api"][data-environment="dev"] td.window').textContent(), 'closed', 'its window, closed with no opening ahead')
  t.equal(await payments.locator('td.window').textContent(), '', 'no windows for payments-worker')
  t.notOk(await page.locator(`#attention tr[data-event="${applied}"]`).count(), 'an applied event needs no attention')

  const deployed = page.locator('#deployments tr[data-service="payments-worker"]')
  t.equal(await deployed.count(), 3, 'one row per environment the build went to')
  t.match(await page.locator('#deployments tr[data-service="payments-worker"][data-environment="dev"]').textContent(), /main-7d3c2a1 → main-2222222/)

  // The refused folder's text is shown as text: no element made from it, nothing run.
  const broken = page.locator('#services tr[data-service="broken"]')
  await broken.waitFor()
  t.equal(await broken.getAttribute('class'), 'error')
  t.match(await broken.textContent(), 'CONFIG_INVALID')
  t.match(await broken.textContent(), '<img src=x onerror=', 'the refusal quotes the hostile value, as text')
  t.equal(await page.locator('img').count(), 0, 'no element made from repo text')
  t.not(await page.title(), 'pwned')

  // It keeps itself current: a new build shows without a reload.
  const next = await send({ source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-3333333' })
  await eventually(async () => ((await status(next)) === 'applied' ? true : undefined), 30_000, 'the next build applied')
  await page.locator('#services tr[data-service="payments-worker"][data-environment="dev"] td.value', { hasText: 'main-3333333' }).waitFor({ timeout: 30_000 })
  t.same(errors, [], 'no script errors')
})

/** Signs in as a person would: the form, the admin token. */
async function signIn(page: Page, url: string): Promise<void> {
  await page.goto(`${url}/dashboard`)
  await page.locator('#login').waitFor({ state: 'visible' })
  await page.fill('#token', ADMIN)
  await page.click('#login button')
  await page.locator('#data').waitFor({ state: 'visible' })
}

t.test('a dead event is put back in the queue from the dashboard once its cause is gone', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  // main protected while the marker exists, as GitHub's branch protection refuses a push: the events are dead at once.
  const marker = path.join(dir, 'protected')
  fs.writeFileSync(marker, '')
  fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), `#!/bin/sh\nif [ -e '${marker}' ]; then echo 'error: GH006: Protected branch update failed for refs/heads/main.' >&2; exit 1; fi\nexit 0\n`, { mode: 0o755 })
  const git = await startGitServer(bare)
  t.teardown(() => git.close())
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: git.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_ADMIN_TOKEN: ADMIN, INFRA_SYNC_DATA: `${dir}/data` })
  t.teardown(() => server.proc.kill('SIGKILL'))
  const body = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.4.0', ref: 'refs/heads/main' })
  const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
  const { id } = (await res.json()) as { id: string }
  const event = async () => (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string; code?: string }
  await eventually(async () => ((await event()).status === 'dead' ? true : undefined), 30_000, 'the event dead')

  const browser: Browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] })
  t.teardown(() => browser.close())
  const page = await browser.newPage()
  await signIn(page, server.url)
  const row = page.locator(`#attention tr[data-event="${id}"]`)
  await row.waitFor()
  t.equal(await row.getAttribute('class'), 'dead')
  t.equal(await row.locator('td').nth(3).textContent(), 'PUSH_REFUSED')

  fs.rmSync(marker)
  await row.locator('button.retry').click()
  await eventually(async () => ((await event()).status === 'applied' ? true : undefined), 30_000, 'the retried event applied')
  await row.waitFor({ state: 'detached', timeout: 30_000 })
  t.pass('the row left "Needs attention"')
  await page.locator('#services tr[data-service="web-frontend"][data-environment="dev"] td.value', { hasText: '2.4.0' }).waitFor({ timeout: 30_000 })
  t.pass('what runs where shows the retried build')
})
