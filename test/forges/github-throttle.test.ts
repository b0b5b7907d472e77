import http from 'node:http'
import type { AddressInfo } from 'node:net'
import t, { type Test } from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { openForge } from '../../src/forges/open-forge.js'
import { FAST, fakeTarget, pushBranch, runBranch, TOKEN } from './forge-rig.js'

t.test('a burst over the secondary rate limit is queued, not dropped', async (t) => {
  const target = await fakeTarget(t, { rateLimit: { requests: 5, windowMs: 1000 } })
  const fake = target.fake!
  const branch = runBranch('api/prod')
  const sha = await pushBranch(t, target, branch, { 'services/api/kustomization.yaml': 'images: [{name: api, newTag: "2"}]\n' })
  const pr = await target.forge.open({ head: branch, base: 'main', title: 'deploy(api/prod): 1 → 2', body: 'b\n', labels: [], reviewers: [] })

  const repo = 'acme/infra'
  const calls = [
    ...Array.from({ length: 20 }, () => target.forge.get(pr.number).then((p) => p.number)),
    ...Array.from({ length: 5 }, () => target.forge.findOpen(branch).then((p) => p?.number)),
    ...Array.from({ length: 5 }, (_, i) =>
      target.forge.report({ repo, sha, environment: `env${i}`, state: 'pending', description: 'proposed', mode: 'status' }).then(() => pr.number),
    ),
  ]
  const outcomes = await Promise.allSettled(calls)
  t.same(
    outcomes.map((o) => o.status),
    calls.map(() => 'fulfilled'),
    'every call succeeded in the end',
  )
  t.same(
    outcomes.map((o) => (o.status === 'fulfilled' ? o.value : undefined)),
    calls.map(() => pr.number),
  )
  t.same(fake.statuses.filter((s) => s.sha === sha).map((s) => s.context).sort(), ['env0', 'env1', 'env2', 'env3', 'env4'].map((e) => `infra-sync/${e}`))
  t.ok(fake.requests.some((r) => r.status === 403), 'the burst did meet the limit')
  t.ok(target.lines.some((l) => l.includes('rate limit')), 'the waits are logged')
  t.notOk(target.lines.some((l) => l.includes(TOKEN)), 'without the token')
  t.same(fake.violations, [])
})

t.test('a rate limit that outlasts the patience given is FORGE_UNAVAILABLE, retryable', async (t) => {
  const target = await fakeTarget(t, { rateLimit: { requests: 1, windowMs: 60_000 } }, { ...FAST, rateLimitRetries: 0 })
  t.equal(await target.forge.findOpen('nothing'), null)
  await t.rejects(target.forge.findOpen('nothing'), { code: 'FORGE_UNAVAILABLE', retryable: true, data: { status: 403 } })
  t.same(target.fake!.violations, [])
})

t.test('a secondary rate limit without retry-after, given up on, is still FORGE_UNAVAILABLE (not FORGE_AUTH)', async (t) => {
  // GitHub may leave the header out; the fake always sends it, so this is a bare server.
  const server = http.createServer((req, res) => {
    req.resume()
    res.writeHead(403, { 'content-type': 'application/json' }).end(JSON.stringify({ message: 'You have exceeded a secondary rate limit. Please wait a few minutes before you try again.' }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  const apiUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
  const { forge } = openForge({ kind: 'github', apiUrl, owner: 'acme', repo: 'infra', auth: { kind: 'token', token: TOKEN } }, silentLogger, { ...FAST, maxRateLimitWaitSeconds: 5 })
  await t.rejects(forge.get(1), { code: 'FORGE_UNAVAILABLE', retryable: true, data: { status: 403 } })
})

/** A bare server that answers each request with the next of `answers` (the last one repeats). */
async function answering(t: Test, answers: number[]): Promise<string> {
  let n = 0
  const pull = { number: 1, html_url: 'https://github.example/acme/infra/pull/1', state: 'open', title: 't', node_id: 'PR_1', head: { ref: 'b', sha: 'a'.repeat(40) }, base: { ref: 'main' }, merged_at: null, closed_at: null }
  const server = http.createServer((req, res) => {
    req.resume()
    const status = answers[Math.min(n++, answers.length - 1)]!
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(status === 200 ? pull : { message: 'no' }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v3`
}

t.test('a 5xx is retried; a 4xx is not', async (t) => {
  const open = (apiUrl: string) => openForge({ kind: 'github', apiUrl, owner: 'acme', repo: 'infra', auth: { kind: 'token', token: TOKEN } }, silentLogger, FAST).forge
  t.match(await open(await answering(t, [502, 503, 200])).get(1), { number: 1, state: 'open' }, 'two 5xx, then the answer')
  await t.rejects(open(await answering(t, [502, 502, 502, 502, 502])).get(1), { code: 'FORGE_UNAVAILABLE', retryable: true })
  await t.rejects(open(await answering(t, [422, 200])).get(1), { code: 'FORGE_REFUSED', retryable: false }, 'a 422 is final')
  await t.rejects(open(await answering(t, [404, 200])).get(1), { code: 'FORGE_NOT_FOUND' })
})
