import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import { Webhook } from 'standardwebhooks'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { commits, makeBareRepo } from '../helpers/git-cli.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Notifications end to end (`node dist/cli.js serve`): a service names two
 * targets, a Slack-compatible one and a signed generic webhook. The webhook
 * receiver is down for its first requests (a fixed schedule of 503s), then
 * comes back: it gets every notification once, in order, each with its own
 * webhook-id; Slack gets the same, as Block Kit.
 */
const SECRET = `whsec_${Buffer.from('notifications-e2e-secret-0123456').toString('base64')}`

interface Delivery {
  readonly path: string
  readonly status: number
  readonly headers: http.IncomingHttpHeaders
  readonly body: string
}

async function receiver(t: Tap.Test, failFirst: number): Promise<{ url: string; got: Delivery[] }> {
  const got: Delivery[] = []
  let audit = 0
  const server = http.createServer((req, res) => {
    let body = ''
    req.on('data', (c) => (body += c))
    req.on('end', () => {
      // The audit receiver answers 503 to its first requests, then 200; Slack always 200 ("ok", as Slack does).
      const status = req.url === '/audit' && audit++ < failFirst ? 503 : 200
      got.push({ path: req.url ?? '', status, headers: req.headers, body })
      res.writeHead(status, { 'content-type': 'text/plain' }).end(status === 200 ? 'ok' : 'down')
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, got }
}

t.test('notifications reach a Slack target and a webhook that was down, each once and in order', async (t) => {
  const dir = tmpDir(t)
  const files = {
    'services/api/infra-sync.yaml': 'source: acme/api\nimage: ghcr.io/acme/api\npolicy: semver\nnotify: [ops, audit]\n',
    'services/api/overlays/dev/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/api\n    newTag: 1.0.0\n',
    'services/quiet/infra-sync.yaml': 'source: acme/quiet\nimage: ghcr.io/acme/quiet\n',
    'services/quiet/overlays/dev/kustomization.yaml': 'apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources: []\nimages:\n  - name: ghcr.io/acme/quiet\n    newTag: a1\n',
  }
  const bare = makeBareRepo(dir, files)
  const hooks = await receiver(t, 4)
  fs.writeFileSync(
    path.join(dir, 'infra-sync.config.yaml'),
    `notifications:\n  targets:\n    ops: { slack: { urlEnv: OPS_SLACK_URL } }\n    audit: { webhook: { url: "${hooks.url}/audit", secretEnv: AUDIT_SECRET } }\n`,
  )
  const server = await spawnServer(dir, {
    INFRA_SYNC_CONFIG: path.join(dir, 'infra-sync.config.yaml'),
    INFRA_SYNC_REPO: bare,
    INFRA_SYNC_SECRET: FALLBACK,
    INFRA_SYNC_DATA: path.join(dir, 'data'),
    OPS_SLACK_URL: `${hooks.url}/slack`,
    AUDIT_SECRET: SECRET,
  })
  t.teardown(() => server.proc.kill('SIGKILL'))

  const deploy = async (service: string, tag: string) => {
    const body = JSON.stringify({ source: `acme/${service}`, image: `ghcr.io/acme/${service}`, tag, ref: 'refs/heads/main', commit: 'f'.repeat(40), buildUrl: `https://ci.example/${tag}` })
    const res = await fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
    t.equal(res.status, 202)
    const { id } = (await res.json()) as { id: string }
    await eventually(async () => ((await (await fetch(`${server.url}/v1/events/${id}`)).json()) as { status: string }).status === 'applied' || undefined, 30_000, `${service} ${tag} applied`)
  }
  // One commit each, in order; a service that names no target is never announced.
  for (const tag of ['1.0.1', '1.0.2', '1.0.3']) await deploy('api', tag)
  await deploy('quiet', 'b2')

  const delivered = (p: string) => hooks.got.filter((g) => g.path === p && g.status === 200)
  await eventually(() => (delivered('/audit').length >= 3 && delivered('/slack').length >= 3 ? true : undefined), 90_000, 'every notification delivered')
  const audit = delivered('/audit')
  t.equal(audit.length, 3, 'each delivered once')
  const webhook = new Webhook(SECRET)
  const notices = audit.map((d) => webhook.verify(d.body, d.headers as Record<string, string>) as { type: string; service: string; from: string; to: string; commitUrl?: string; buildUrl?: string })
  t.same(notices.map((n) => `${n.type} ${n.service} ${n.from} → ${n.to}`), ['deploy.applied api 1.0.0 → 1.0.1', 'deploy.applied api 1.0.1 → 1.0.2', 'deploy.applied api 1.0.2 → 1.0.3'], 'in order, signed')
  t.equal(new Set(audit.map((d) => d.headers['webhook-id'])).size, 3, 'one webhook-id per notification')
  const failedIds = hooks.got.filter((g) => g.path === '/audit' && g.status === 503).map((g) => g.headers['webhook-id'])
  t.ok(failedIds.length === 4 && failedIds.every((id) => id === audit[0]!.headers['webhook-id']), 'the first was retried under its own id while the others waited behind it')
  t.equal(notices[0]!.buildUrl, 'https://ci.example/1.0.1')
  const slack = delivered('/slack').map((d) => JSON.parse(d.body) as { text: string; blocks: { type: string }[] })
  t.same(slack.map((m) => m.text), ['api/dev deployed: 1.0.0 → 1.0.1', 'api/dev deployed: 1.0.1 → 1.0.2', 'api/dev deployed: 1.0.2 → 1.0.3'])
  t.equal(slack[0]!.blocks[0]!.type, 'header')
  t.notOk(hooks.got.some((g) => g.body.includes('quiet')), 'a service without notify is not announced')
  t.equal(commits(bare).length, 5)
  t.equal(await server.stop(), 0)
})
