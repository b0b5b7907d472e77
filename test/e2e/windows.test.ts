import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { commits, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK, SECRET_A, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Deploy windows on a real `node dist/cli.js serve`: the server's one allow
 * window opens at the next whole minute (UTC). Builds sent before it wait
 * (status waiting, nextAttemptAt = the opening); at the opening the newer
 * of two builds of one service goes out in one commit and the older reads
 * skipped/superseded. An emergency from an allowed source deploys at once;
 * from another source it is refused (403 EMERGENCY_FORBIDDEN) and nothing is stored.
 */
const PAYMENTS = 'services/payments-worker/overlays/dev/kustomization.yaml'
const ADMIN = 'windows-admin-token-0123456789abcdef'
const ORDERS = 'services/orders-api/overlays/dev/kustomization.yaml'

interface EventView {
  readonly status: string
  readonly code?: string
  readonly commit?: string
  readonly nextAttemptAt?: string
  readonly targets: readonly { environment: string; status?: string; code: string; nextOpenAt?: string }[]
}

/** The next whole minute far enough away that a loaded machine starts the server and plans the events before it. */
function nextOpening(now = Date.now()): Date {
  let at = Math.ceil((now + 1) / 60_000) * 60_000
  if (at - now < 20_000) at += 60_000
  return new Date(at)
}

/** The example services; orders-api with a window of its own that never opens (it replaces the server's), so only an emergency passes it. */
function infraFiles(): Record<string, string> {
  const files = exampleInfraFiles()
  const config = 'services/orders-api/infra-sync.yaml'
  files[config] = `${files[config]}windows:\n  - { kind: deny, schedule: "* * * * *", duration: 1h }\n`
  return files
}

t.test('events wait for the window, the newer supersedes the older at its opening; emergencies pass where allowed', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, infraFiles())
  const git = await startGitServer(bare)
  t.teardown(() => git.close())
  const opens = nextOpening()
  const schedule = `${opens.getUTCMinutes()} ${opens.getUTCHours()} * * *`
  const config = path.join(dir, 'infra-sync.config.yaml')
  fs.writeFileSync(config, `windows:\n  - { kind: allow, schedule: "${schedule}", duration: 1h }\nsources:\n  acme/orders-api: { secret: ${SECRET_A}, emergency: true }\n`)
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: git.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_CONFIG: config, INFRA_SYNC_DATA: path.join(dir, 'data'), INFRA_SYNC_ADMIN_TOKEN: ADMIN })
  t.teardown(() => server.proc.kill('SIGKILL'))

  const send = async (secret: string, event: Record<string, unknown>, id?: string) => {
    const body = JSON.stringify({ ref: 'refs/heads/main', ...event })
    return fetch(`${server.url}/v1/events`, { method: 'POST', headers: signedHeaders(secret, body, id ? { id } : {}), body })
  }
  const view = async (id: string) => (await (await fetch(`${server.url}/v1/events/${id}`)).json()) as EventView
  const accepted = async (res: Response) => {
    t.equal(res.status, 202, await res.clone().text())
    return ((await res.json()) as { id: string }).id
  }

  const older = await accepted(await send(FALLBACK, { source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-1111111' }))
  const newer = await accepted(await send(FALLBACK, { source: 'acme/payments', image: 'ghcr.io/acme/payments-worker', tag: 'main-2222222' }))
  for (const id of [older, newer]) {
    const v = await eventually(async () => ((await view(id)).status === 'waiting' ? view(id) : undefined), 30_000, `${id} waiting`)
    t.equal(v.code, 'window-closed')
    t.equal(v.nextAttemptAt, opens.toISOString(), 'due again at the opening')
    t.ok(v.targets.every((x) => x.status === 'waiting' && x.code === 'window-closed' && x.nextOpenAt === opens.toISOString()), 'every target waits for the opening')
  }

  // What runs where says the same: the server's window closed until the opening; orders-api's own, closed with none ahead.
  const rows = ((await (await fetch(`${server.url}/v1/services`, { headers: { authorization: `Bearer ${ADMIN}` } })).json()) as { services: { service: string; environment?: string; window?: object }[] }).services
  const row = (service: string) => rows.find((r) => r.service === service && r.environment === 'dev')?.window
  t.same(row('payments-worker'), { open: false, reason: 'outside-allow', nextOpenAt: opens.toISOString() })
  t.same(row('orders-api'), { open: false, reason: 'deny' })

  // orders-api's own window never opens: a plain build waits, with no opening to name; an emergency from a source allowed to goes out.
  const plain = await accepted(await send(SECRET_A, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.8.0' }))
  const held = await eventually(async () => ((await view(plain)).status === 'waiting' ? view(plain) : undefined), 30_000, 'the plain orders-api build waiting')
  t.match(held.targets.find((x) => x.environment === 'dev'), { status: 'waiting', code: 'window-closed' })
  t.equal(held.targets.find((x) => x.environment === 'dev')!.nextOpenAt, undefined, 'its own window replaces the server\'s')
  const urgent = await accepted(await send(SECRET_A, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.9.0', emergency: true }))
  const done = await eventually(async () => {
    const v = await view(urgent)
    return v.status === 'applied' ? v : undefined
  }, 30_000, 'the emergency applied')
  t.match(done.targets.find((x) => x.environment === 'dev'), { status: 'applied', code: 'updated' })
  t.match(show(bare, 'main', ORDERS), /newTag: 1\.9\.0/)

  // Emergency from another source: refused, and nothing stored (the same delivery id is then new).
  const delivery = `msg_forbidden_${Date.now()}`
  const refused = await send(FALLBACK, { source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.9.0', emergency: true }, delivery)
  t.equal(refused.status, 403)
  t.match(await refused.json(), { code: 'EMERGENCY_FORBIDDEN' })
  t.equal((await send(FALLBACK, { source: 'acme/web', image: 'ghcr.io/acme/web-frontend', tag: '2.9.0' }, delivery)).status, 202, 'the refused delivery was not stored')

  // At the opening: one commit carries the newer build; the older is superseded within it.
  const applied = await eventually(async () => {
    const v = await view(newer)
    return v.status === 'applied' ? v : undefined
  }, 120_000, 'the newer build applied at the opening')
  t.ok(Date.now() >= opens.getTime(), 'not before the opening')
  t.match(await view(older), { status: 'skipped', code: 'superseded' })
  t.match(show(bare, 'main', PAYMENTS), /newTag: main-2222222/)
  const carrying = commits(bare).filter((c) => c.events.includes(newer))
  t.equal(carrying.length, 1, 'one commit carries the newer build')
  t.equal(carrying[0]!.sha, applied.commit)
  t.notOk(commits(bare).some((c) => c.events.includes(older)), 'no commit carries the older build')
})
