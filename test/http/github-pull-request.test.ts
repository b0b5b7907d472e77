import { createHmac } from 'node:crypto'
import t from 'tap'
import { buildApp } from '../../src/http/app.js'
import { GithubTrust } from '../../src/intake/github-trust.js'
import { MemoryRateLimiter } from '../../src/intake/rate-limit.js'
import { buildKeys } from '../../src/intake/secrets.js'
import { Metrics } from '../../src/observability/metrics.js'
import type { Store } from '../../src/store/store.js'
import { pullRequestEvent } from '../intake/github.test.js'

/** pull_request deliveries on /v1/webhooks/github: only the infra repo's own hook settles infra-sync's pull requests. */
const INFRA_HOOK = 'infra-repo-hook-secret-0123456789abc'
const NAMED_HOOK = 'a-named-hook-secret-0123456789abcdef'
const INFRA = { location: 'https://github.com/acme/infra.git', branch: 'main' }
// A second infra repo served by the same deployment (repos:): its deliveries reach its own worker.
const OTHER = { location: 'https://github.com/acme/clusters.git', branch: 'main' }

async function setup(t: { teardown(fn: () => unknown): void }) {
  const told: number[] = []
  const refreshed: number[] = []
  const otherTold: number[] = []
  const app = await buildApp({
    // A pull_request delivery stores nothing: a store that is never called.
    store: {} as Store,
    keys: () => buildKeys(new Map(), []),
    clock: () => new Date(),
    metrics: new Metrics(false),
    limiter: new MemoryRateLimiter({ perSecond: 0, burst: 1 }, () => Date.now()),
    // acme/infra also has a hook of its own, named in the URL: a source's hook, whatever repository it is.
    github: new GithubTrust([INFRA_HOOK], new Map([['acme/infra', [NAMED_HOOK]]])),
    infraRepos: [
      { ref: INFRA, onPush: () => refreshed.push(1), onPullRequest: (n) => told.push(n) },
      { ref: OTHER, onPush: () => {}, onPullRequest: (n) => otherTold.push(n) },
    ],
    onAccepted: () => {},
    readiness: async () => ({ ready: true, checks: {} }),
  })
  t.teardown(() => app.close())
  const send = (body: unknown, opts: { secret?: string; source?: string; event?: string } = {}) => {
    const payload = JSON.stringify(body)
    return app.inject({
      method: 'POST',
      url: `/v1/webhooks/github${opts.source ? `?source=${opts.source}` : ''}`,
      headers: {
        'content-type': 'application/json',
        'x-github-event': opts.event ?? 'pull_request',
        'x-github-delivery': `d-${Math.random().toString(36).slice(2)}`,
        'x-hub-signature-256': `sha256=${createHmac('sha256', opts.secret ?? INFRA_HOOK).update(payload).digest('hex')}`,
      },
      payload,
    })
  }
  return { send, told, refreshed, otherTold }
}

t.test("a merge or a close of infra-sync's pull request, from the infra repo's hook: 200 settling, the worker is told the number", async (t) => {
  const { send, told } = await setup(t)
  const merged = await send(pullRequestEvent({ number: 41 }))
  t.equal(merged.statusCode, 200)
  t.equal(merged.json().status, 'settling')
  const closed = await send(pullRequestEvent({ number: 42, merged: false }))
  t.equal(closed.json().status, 'settling')
  t.same(told, [41, 42])
})

t.test('with several infra repos, a pull request of the second reaches its worker, not the first', async (t) => {
  const { send, told, otherTold } = await setup(t)
  const res = await send(pullRequestEvent({ number: 7, repo: 'https://github.com/acme/clusters' }))
  t.equal(res.json().status, 'settling')
  t.same(otherTold, [7])
  t.same(told, [])
})

t.test('what does not settle a pull request is acknowledged and ignored, and the worker is not told', async (t) => {
  const { send, told } = await setup(t)
  const cases: [string, unknown, { secret?: string; source?: string }][] = [
    ['a named hook of the same repository', pullRequestEvent(), { secret: NAMED_HOOK, source: 'acme/infra' }],
    ['opened', pullRequestEvent({ action: 'opened' }), {}],
    ['another repository', pullRequestEvent({ repo: 'https://github.com/acme/other' }), {}],
    ['a branch infra-sync did not open', pullRequestEvent({ head: 'feature/x' }), {}],
  ]
  for (const [name, body, opts] of cases) {
    const res = await send(body, opts)
    t.equal(res.statusCode, 200, name)
    t.equal(res.json().status, 'ignored', name)
    t.type(res.json().reason, 'string', name)
  }
  t.same(told, [])
})

t.test('a wrong signature is refused before anything is told', async (t) => {
  const { send, told } = await setup(t)
  const res = await send(pullRequestEvent(), { secret: 'another-secret-0123456789abcdefghij' })
  t.equal(res.statusCode, 401)
  t.equal(res.json().code, 'SIGNATURE_INVALID')
  t.same(told, [])
})
