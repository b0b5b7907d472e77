import t from 'tap'
import { spawnServer, type ChildServer } from '../helpers/child-server.js'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer, type RequestInfo } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * kill -9 at the worst moments, with the real binary (node dist/cli.js serve)
 * and a real remote. After a restart the event is applied exactly once: one
 * commit carries its trailer, and it reads applied.
 */
const TOKEN = 'crash-test-token-0123456789abcdef'

async function scenario(t: Parameters<Parameters<typeof t.test>[1]>[0], killWhen: (req: RequestInfo) => 'before' | 'after' | undefined) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, exampleInfraFiles())
  const gitServer = await startGitServer(bare, { token: TOKEN })
  t.teardown(() => gitServer.close())
  const env = { INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: `${dir}/data` }
  let child: ChildServer = await spawnServer(dir, env)
  t.teardown(() => child.proc.kill('SIGKILL'))

  let accepted!: () => void
  const acceptedP = new Promise<void>((r) => (accepted = r))
  let killed = false
  const maybeKill = async (req: RequestInfo, phase: 'before' | 'after') => {
    if (killed || killWhen(req) !== phase) return undefined
    killed = true
    await acceptedP
    await child.kill9()
    return 'drop' as const
  }
  gitServer.hooks = { before: (req) => maybeKill(req, 'before'), after: (req) => maybeKill(req, 'after') }

  const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
  const res = await fetch(`${child.url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body), body })
  t.equal(res.status, 202)
  const { id } = (await res.json()) as { id: string }
  accepted()
  await eventually(() => (killed && child.proc.exitCode === null && child.proc.signalCode === 'SIGKILL' ? true : undefined), 20_000, 'the kill')

  gitServer.hooks = {}
  child = await spawnServer(dir, env)
  const final = await eventually(async () => {
    const r = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
    return r.status === 'applied' ? r : undefined
  }, 30_000, 'the event to be applied after the restart')
  const carrying = commits(bare).filter((c) => c.events.includes(id))
  t.equal(carrying.length, 1, 'exactly one commit carries the event')
  t.equal(final.commit, carrying[0]!.sha)
  t.equal(commits(bare).length, 2, 'seed + one deploy, nothing more')
  git(bare, 'fsck', '--strict')
  t.equal(await child.stop(), 0, 'a clean shutdown on SIGTERM')
}

t.test('killed after the 202, before the worker reached the remote', (t) => scenario(t, (req) => (req.service === 'info-refs' ? 'before' : undefined)))

t.test('killed while pushing, before the push reached git', (t) => scenario(t, (req) => (req.service === 'receive-pack' ? 'before' : undefined)))

t.test('killed after the push landed, before it was recorded', (t) => scenario(t, (req) => (req.service === 'receive-pack' ? 'after' : undefined)))
