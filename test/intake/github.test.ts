import { createHmac } from 'node:crypto'
import t from 'tap'
import { githubDecision, repoKey } from '../../src/intake/github.js'
import { GithubSignature } from '../../src/intake/github-signature.js'
import { GithubTrust } from '../../src/intake/github-trust.js'

const INFRA = { location: 'https://github.com/acme/infra.git', branch: 'main' }
const DIGEST = `sha256:${'a'.repeat(64)}`

export function registryPackage(over: { tag?: string; tags?: string[]; type?: string; action?: string; repository?: object | null; commitish?: string } = {}) {
  return {
    action: over.action ?? 'published',
    registry_package: {
      name: 'orders-api',
      namespace: 'acme',
      package_type: over.type ?? 'CONTAINER',
      owner: { login: 'acme' },
      registry: { url: 'https://ghcr.io/acme/orders-api' },
      package_version: {
        version: DIGEST,
        created_at: '2026-11-25T10:00:00Z',
        html_url: 'https://github.com/acme/orders-api/pkgs/container/orders-api/1',
        ...(over.commitish && { target_commitish: over.commitish }),
        container_metadata: { tag: { name: over.tag ?? '1.4.2', digest: DIGEST }, labels: { 'org.opencontainers.image.revision': 'c0ffee'.padEnd(40, '0') } },
        ...(over.tags && { docker_metadata: [{ tags: over.tags }] }),
      },
    },
    ...(over.repository !== null && { repository: over.repository ?? { full_name: 'Acme/Orders-API', default_branch: 'main' } }),
  }
}

t.test('a published container version becomes one build event per tag, from its repository', async (t) => {
  const d = githubDecision('registry_package', 'd-1', registryPackage(), INFRA)
  t.equal(d.kind, 'events')
  if (d.kind !== 'events') return
  t.same(d.events, [
    {
      deliveryId: 'd-1',
      event: {
        source: 'acme/orders-api',
        image: 'ghcr.io/acme/orders-api',
        tag: '1.4.2',
        digest: DIGEST,
        commit: 'c0ffee'.padEnd(40, '0'),
        ref: 'refs/heads/main',
        builtAt: '2026-11-25T10:00:00.000Z',
        buildUrl: 'https://github.com/acme/orders-api/pkgs/container/orders-api/1',
      },
    },
  ])
  const { registry_package: pkg, ...rest } = registryPackage({ tags: ['1.4.2', 'latest'], type: 'container' })
  const many = githubDecision('package', 'd-2', { ...rest, package: pkg }, INFRA)
  t.same(many.kind === 'events' && many.events.map((e) => [e.deliveryId, e.event.tag]), [
    ['d-2#1.4.2', '1.4.2'],
    ['d-2#latest', 'latest'],
  ])
  const branch = githubDecision('registry_package', 'd-3', registryPackage({ commitish: 'release/2' }), INFRA)
  t.equal(branch.kind === 'events' && branch.events[0]!.event.ref, 'refs/heads/release/2')
})

t.test('everything else is acknowledged and ignored, with the reason', async (t) => {
  const cases: [string, unknown][] = [
    ['ping', { zen: 'hi' }],
    ['registry_package', registryPackage({ action: 'updated' })],
    ['registry_package', registryPackage({ type: 'npm' })],
    ['registry_package', registryPackage({ tag: '' })],
    ['registry_package', registryPackage({ repository: null })],
    ['issues', { action: 'opened' }],
    ['push', { ref: 'refs/heads/main', repository: { clone_url: 'https://github.com/acme/other.git' } }],
    ['push', { ref: 'refs/heads/dev', repository: { clone_url: 'https://github.com/acme/infra.git' } }],
    ['push', 'not an object'],
  ]
  for (const [name, body] of cases) t.equal(githubDecision(name, 'd', body, INFRA).kind, 'ignored', `${name} ${JSON.stringify(body).slice(0, 60)}`)
  t.equal(githubDecision('push', 'd', { ref: 'refs/heads/main', repository: { clone_url: 'https://github.com/Acme/Infra.git', html_url: 'https://github.com/Acme/Infra' } }, INFRA).kind, 'refresh')
  t.equal(repoKey('https://user:pw@GitHub.com/acme/infra.git/'), 'github.com/acme/infra')
})

t.test('a bad tag in a signed GitHub payload is a 400-class error, not a crash', async (t) => {
  t.throws(() => githubDecision('registry_package', 'd', registryPackage({ tag: 'not a tag!' }), INFRA), { code: 'INVALID_IMAGE_REF' })
})

t.test('X-Hub-Signature-256 through @octokit/webhooks: the published vector, rotation, and what must fail', async (t) => {
  // GitHub's documented example: https://docs.github.com/en/webhooks/using-webhooks/validating-webhook-deliveries
  const vector = new GithubSignature(["It's a Secret to Everybody"])
  await t.resolves(vector.verify(Buffer.from('Hello, World!'), 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17'))

  const oldSecret = 'old-github-secret-0123456789abcdef'
  const newSecret = 'new-github-secret-0123456789abcdef'
  const both = new GithubSignature([newSecret, oldSecret])
  const body = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }))
  const sig = (secret: string, b: Buffer = body) => `sha256=${createHmac('sha256', secret).update(b).digest('hex')}`
  await t.resolves(both.verify(body, sig(oldSecret)), 'the old secret during a rotation')
  await t.resolves(both.verify(body, sig(newSecret)), 'the new one')
  const failing: [string, Buffer, string | undefined, string][] = [
    ['no signature', body, undefined, 'SIGNATURE_MISSING'],
    ['another secret', body, sig('another-secret-0123456789abcdefgh'), 'SIGNATURE_INVALID'],
    ['a flipped byte', Buffer.from(body.toString().replace('awesome', 'awesomE')), sig(newSecret), 'SIGNATURE_INVALID'],
    ['re-serialised JSON', Buffer.from(JSON.stringify(JSON.parse(body.toString()), null, 2)), sig(newSecret), 'SIGNATURE_INVALID'],
    ['the sha1= form', body, `sha1=${createHmac('sha1', newSecret).update(body).digest('hex')}`, 'SIGNATURE_INVALID'],
    ['upper-case hex', body, sig(newSecret).toUpperCase().replace('SHA256', 'sha256'), 'SIGNATURE_INVALID'],
    ['invalid UTF-8', Buffer.from([0x7b, 0xff, 0x7d]), sig(newSecret, Buffer.from([0x7b, 0xff, 0x7d])), 'SIGNATURE_INVALID'],
  ]
  for (const [name, b, s, code] of failing) await t.rejects(both.verify(b, s), { code }, name)
})

t.test('GitHub trust: one hook is chosen from the headers and URL; the app secret speaks for configured sources', async (t) => {
  const hooks = new Map<string, string[]>()
  for (let i = 0; i < 100; i++) hooks.set(`acme/svc-${i}`, [`hook-secret-of-svc-${i}-0123456789`])
  const trust = new GithubTrust(['app-secret-0123456789abcdefghijk'], hooks, ['acme/orders-api'])
  const sig = `sha256=${'0'.repeat(64)}`
  const own = trust.claim(sig, 'acme/svc-7')
  t.equal(own.by, 'source')
  t.ok(trust.speaksFor(own, 'acme/svc-7'))
  t.notOk(trust.speaksFor(own, 'acme/svc-8'))
  const app = trust.claim(sig, undefined)
  t.equal(app.by, 'app')
  t.ok(trust.speaksFor(app, 'acme/orders-api'), 'a source configured with a Standard Webhooks secret')
  t.ok(trust.speaksFor(app, 'acme/svc-8'), 'a source configured with a hook secret')
  t.notOk(trust.speaksFor(app, 'acme/evil'))
  t.ok(new GithubTrust(['app-secret-0123456789abcdefghijk'], new Map()).speaksFor(app, 'acme/evil'), 'no source configured: any repository')
  t.throws(() => trust.claim(undefined, 'acme/svc-7'), { code: 'SIGNATURE_MISSING' })
  t.throws(() => new GithubTrust([], hooks).claim(sig, undefined), { code: 'SOURCE_REQUIRED' })
  t.throws(() => new GithubTrust([], hooks).claim(sig, 'acme/orders-api'), { code: 'SOURCE_UNKNOWN' })
  t.notOk(new GithubTrust([], new Map()).configured)
})

export function pullRequestEvent(over: { action?: string; merged?: boolean; head?: string; number?: number; repo?: string } = {}) {
  const number = over.number ?? 7
  const repo = over.repo ?? 'https://github.com/acme/infra'
  return {
    action: over.action ?? 'closed',
    number,
    pull_request: { number, merged: over.merged ?? true, head: { ref: over.head ?? 'infra-sync/orders-api/prod' }, base: { ref: 'main' } },
    repository: { full_name: new URL(repo).pathname.slice(1), clone_url: `${repo}.git`, html_url: repo },
  }
}

t.test("pull_request: a merge or a close of infra-sync's own pull request in the infra repo settles it; the rest is ignored", async (t) => {
  t.match(githubDecision('pull_request', 'd', pullRequestEvent(), INFRA), { kind: 'pull-request', number: 7 }, 'closed, merged')
  t.match(githubDecision('pull_request', 'd', pullRequestEvent({ merged: false, number: 12 }), INFRA), { kind: 'pull-request', number: 12 }, 'closed without merge')
  const ignored: [string, unknown][] = [
    ['opened', pullRequestEvent({ action: 'opened' })],
    ['reopened: infra-sync never reopens', pullRequestEvent({ action: 'reopened' })],
    ['synchronize', pullRequestEvent({ action: 'synchronize' })],
    ['another repository', pullRequestEvent({ repo: 'https://github.com/acme/other' })],
    ['a branch infra-sync did not open', pullRequestEvent({ head: 'feature/infra-sync/x' })],
    ['no pull_request', { action: 'closed', repository: pullRequestEvent().repository }],
    ['no number', { ...pullRequestEvent(), number: undefined, pull_request: { head: { ref: 'infra-sync/a/b' } } }],
  ]
  for (const [name, body] of ignored) {
    const d = githubDecision('pull_request', 'd', body, INFRA)
    t.equal(d.kind, 'ignored', name)
    t.type((d as { reason?: unknown }).reason, 'string', `${name}: with a reason`)
  }
})
