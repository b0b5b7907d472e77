import { createHmac } from 'node:crypto'
import t, { type Test } from 'tap'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { exampleInfraFiles, sharedTestServer, startTestServer, type TestServer } from '../helpers/server.js'
import { FALLBACK, SECRET_A, SECRET_B } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'
import { registryPackage } from '../intake/github.test.js'

/** POST /v1/webhooks/github through the app, against a real local infra repo. */
const SECRET = 'github-hook-secret-0123456789abcdef'
const OLD = 'github-hook-old-secret-0123456789ab'

const ORDERS_HOOK = 'orders-api-hook-secret-0123456789ab'

interface GithubSecrets {
  readonly github?: string[]
  readonly githubBySource?: Map<string, string[]>
  /** Sources with a Standard Webhooks secret (configured sources). */
  readonly bySource?: Map<string, string[]>
}

async function start(t: Test, secrets: GithubSecrets = {}): Promise<TestServer> {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  return startTestServer(t, { location: bare, kind: 'local' }, {
    secrets: {
      bySource: secrets.bySource ?? new Map([['acme/orders-api', [SECRET_A]], ['acme/payments', [SECRET_B]]]),
      fallback: [FALLBACK],
      github: secrets.github ?? [SECRET, OLD],
      githubBySource: secrets.githubBySource ?? new Map(),
    },
  })
}

// The subtests with the default secrets share one server (each server costs a worker thread's start);
// each counts what it added to the store and the repo.
const shared = sharedTestServer(t, (root) => start(root))

async function setup(t: Test, secrets?: GithubSecrets) {
  const server = secrets ? await start(t, secrets) : await shared()
  const bare = server.config.repo.location
  const send = (name: string, body: unknown, opts: { secret?: string; delivery?: string; raw?: string; source?: string } = {}) => {
    const payload = opts.raw ?? JSON.stringify(body)
    return server.app.inject({
      method: 'POST',
      url: `/v1/webhooks/github${opts.source ? `?source=${opts.source}` : ''}`,
      headers: {
        'content-type': 'application/json',
        'x-github-event': name,
        'x-github-delivery': opts.delivery ?? `d-${Math.random().toString(36).slice(2)}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', opts.secret ?? SECRET).update(payload).digest('hex')}`,
      },
      payload,
    })
  }
  const stored = async () => Object.values(await server.store.counts()).reduce((a, b) => a + b, 0)
  return { bare, server, send, stored }
}

const settled = async (server: TestServer, id: string) =>
  eventually(async () => {
    const e = await server.store.get(id)
    return e && e.status !== 'queued' ? e : undefined
  })

t.test('a GHCR publish deploys; a redelivery and a re-run do not deploy twice', async (t) => {
  // The first subtest on the shared server: orders-api is still at 1.4.1.
  const { bare, server, send } = await setup(t)
  const res = await send('registry_package', registryPackage(), { delivery: 'delivery-1' })
  t.equal(res.statusCode, 202)
  const [id] = res.json().ids as string[]
  const r = await eventually(async () => {
    const e = await server.store.get(id!)
    return e && e.status !== 'queued' ? e : undefined
  })
  t.equal(r.status, 'applied')
  t.equal(r.source, 'acme/orders-api', 'the source is the repository the package belongs to')
  t.equal(commits(bare)[0]!.subject, `deploy(orders-api/dev): 1.4.1 → 1.4.2@sha256:${'a'.repeat(64)}`, 'tag and digest from the package version')
  const again = await send('registry_package', registryPackage(), { delivery: 'delivery-1' })
  t.equal(again.statusCode, 200)
  t.same(again.json(), { status: 'duplicate', ids: [id] })
  const rerun = await send('registry_package', registryPackage(), { delivery: 'delivery-2', secret: OLD })
  t.equal(rerun.statusCode, 200, 'the same build under a new delivery id, signed with the old secret of a rotation')
  t.same(rerun.json().ids, [id])
  await server.worker.whenIdle()
  t.equal(commits(bare).length, 2, 'seed + one deploy')
})

t.test('the app secret speaks for configured sources: another repository is ignored, never stored', async (t) => {
  const { bare, server, send, stored } = await setup(t)
  const [storedBefore, commitsBefore] = [await stored(), commits(bare).length]
  const evil = await send('registry_package', registryPackage({ repository: { full_name: 'acme/evil', default_branch: 'main' } }))
  t.equal(evil.statusCode, 200)
  t.equal(evil.json().status, 'ignored')
  t.equal(await stored(), storedBefore, 'nothing stored for a repository that is no configured source')
  // A configured source publishing an image named like orders-api's: the planner refuses it by the services' `source`.
  const res = await send('registry_package', registryPackage({ repository: { full_name: 'acme/payments', default_branch: 'main' } }))
  t.equal(res.statusCode, 202)
  const r = await settled(server, res.json().ids[0])
  t.equal(r.status, 'rejected')
  t.equal(r.code, 'source-mismatch')
  t.equal(commits(bare).length, commitsBefore, 'nothing committed')
})

t.test('with no source configured at all, the app secret speaks for any repository', async (t) => {
  const { server, send } = await setup(t, { bySource: new Map() })
  const res = await send('registry_package', registryPackage({ repository: { full_name: 'acme/evil', default_branch: 'main' } }))
  t.equal(res.statusCode, 202)
  t.equal((await settled(server, res.json().ids[0])).code, 'source-mismatch', 'still only the services that name it')
})

t.test("a source repository's own hook speaks for that repository only", async (t) => {
  const { bare, server, send, stored } = await setup(t, { github: [SECRET], githubBySource: new Map([['acme/orders-api', [ORDERS_HOOK]]]) })
  const own = await send('registry_package', registryPackage(), { secret: ORDERS_HOOK, source: 'acme/orders-api' })
  t.equal(own.statusCode, 202)
  t.equal((await settled(server, own.json().ids[0])).status, 'applied')
  t.equal(commits(bare).length, 2)
  t.equal((await send('ping', { zen: 'hi', repository: { full_name: 'acme/orders-api' } }, { secret: ORDERS_HOOK, source: 'Acme/Orders-API' })).json().status, 'ignored', 'the ping GitHub sends when the hook is made')

  const payments = registryPackage({ repository: { full_name: 'acme/payments', default_branch: 'main' } })
  const cases: [string, unknown, { secret: string; source?: string }, number, string][] = [
    ["orders-api's hook, for another repository", payments, { secret: ORDERS_HOOK, source: 'acme/orders-api' }, 403, 'SOURCE_FORBIDDEN'],
    ["orders-api's hook, without naming its source", registryPackage(), { secret: ORDERS_HOOK }, 401, 'SIGNATURE_INVALID'],
    ["orders-api's hook, naming another source", payments, { secret: ORDERS_HOOK, source: 'acme/payments' }, 401, 'SIGNATURE_INVALID'],
    ['the app secret, naming a source with its own hook', registryPackage(), { secret: SECRET, source: 'acme/orders-api' }, 401, 'SIGNATURE_INVALID'],
    ['the app secret, naming one source, for another', registryPackage(), { secret: SECRET, source: 'acme/payments' }, 403, 'SOURCE_FORBIDDEN'],
    ['a source name that is not owner/repo', registryPackage(), { secret: ORDERS_HOOK, source: 'orders-api' }, 400, 'INVALID_INPUT'],
  ]
  for (const [name, body, opts, status, code] of cases) {
    const res = await send('registry_package', body, opts)
    t.equal(res.statusCode, status, name)
    t.equal(res.json().code, code, name)
  }
  t.equal(await stored(), 1, 'nothing stored for a refused delivery')
  const app = await send('registry_package', payments, { secret: SECRET, source: 'acme/payments' })
  t.equal(app.statusCode, 202, 'a source without a hook secret of its own: the app secret, for that source')
})

t.test('with per-source hooks only, a delivery must name its source', async (t) => {
  const { send } = await setup(t, { github: [], githubBySource: new Map([['acme/orders-api', [ORDERS_HOOK]]]) })
  const unnamed = await send('registry_package', registryPackage(), { secret: ORDERS_HOOK })
  t.equal(unnamed.statusCode, 401)
  t.equal(unnamed.json().code, 'SOURCE_REQUIRED')
  const unknown = await send('registry_package', registryPackage(), { secret: ORDERS_HOOK, source: 'acme/payments' })
  t.equal(unknown.statusCode, 401)
  t.equal(unknown.json().code, 'SOURCE_UNKNOWN')
})

t.test('other events are acknowledged and ignored; bad signatures are 401; GitHub off is 404', async (t) => {
  const { server, send, stored } = await setup(t)
  const before = await stored()
  const ping = await send('ping', { zen: 'Design for failure.' })
  t.equal(ping.statusCode, 200)
  t.equal(ping.json().status, 'ignored')
  const other = await send('registry_package', registryPackage({ type: 'npm' }))
  t.equal(other.json().status, 'ignored')
  t.equal((await send('ping', { zen: 1 }, { secret: 'not-the-secret-0123456789abcdefgh' })).json().code, 'SIGNATURE_INVALID')
  const unsigned = await server.app.inject({ method: 'POST', url: '/v1/webhooks/github', headers: { 'content-type': 'application/json', 'x-github-event': 'ping' }, payload: '{}' })
  t.equal(unsigned.statusCode, 401)
  t.equal(unsigned.json().code, 'SIGNATURE_MISSING')
  const noDelivery = await server.app.inject({
    method: 'POST',
    url: '/v1/webhooks/github',
    headers: { 'content-type': 'application/json', 'x-github-event': 'ping', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update('{}').digest('hex')}` },
    payload: '{}',
  })
  t.equal(noDelivery.statusCode, 400)
  const bad = await send('registry_package', registryPackage({ tag: 'no spaces allowed' }))
  t.equal(bad.statusCode, 400)
  t.equal(bad.json().code, 'INVALID_IMAGE_REF')
  t.equal(await stored(), before, 'nothing stored')

  const off = await setup(t, { github: [] })
  const res = await off.send('ping', {})
  t.equal(res.statusCode, 404)
  t.equal(res.json().code, 'GITHUB_NOT_CONFIGURED')
})

t.test('a push to the infra branch makes the worker fetch at once', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const server = await startTestServer(t, { location: bare, kind: 'local' }, { secrets: { bySource: new Map(), fallback: [], github: [SECRET], githubBySource: new Map() }, worker: { pollMs: 60_000 } })
  // With no events and a long poll, nothing but the webhook makes the worker fetch.
  // A human pushes to the infra repo.
  git(dir, 'clone', '-q', bare, `${dir}/human`)
  git(`${dir}/human`, '-c', 'user.name=h', '-c', 'user.email=h@x', 'commit', '-q', '--allow-empty', '-m', 'human')
  git(`${dir}/human`, 'push', '-q', 'origin', 'main')
  const head = git(bare, 'rev-parse', 'main').trim()
  t.not(server.worker.knownHead, head)
  const payload = JSON.stringify({ ref: 'refs/heads/main', repository: { clone_url: `file://${bare}`, html_url: `file://${bare}` } })
  // A local path is compared as a file:// URL.
  const res = await server.app.inject({
    method: 'POST',
    url: '/v1/webhooks/github',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push', 'x-github-delivery': 'p1', 'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(payload).digest('hex')}` },
    payload,
  })
  t.equal(res.json().status, 'refreshing')
  await eventually(() => (server.worker.knownHead === head ? true : undefined), 10_000, 'the worker to fetch the pushed head')
})
