import t from 'tap'
import { spawnServer, type ChildServer } from '../helpers/child-server.js'
import { commits, git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK, signedHeaders } from '../helpers/sign.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * The process kills itself (SIGKILL) at each point where a crash could lose or
 * double an event: after the store commit before the 202, after the git commit
 * before the push, after the push before the store knows. Restarted, the remote
 * has exactly one commit carrying the event, and the event reads applied.
 */
const POINTS = ['after-accept', 'after-commit', 'after-push'] as const

for (const point of POINTS) {
  t.test(point, async (t) => {
    const dir = tmpDir(t)
    const bare = makeBareRepo(dir, exampleInfraFiles())
    const gitServer = await startGitServer(bare)
    t.teardown(() => gitServer.close())
    const env = { INFRA_SYNC_REPO: gitServer.url, INFRA_SYNC_SECRET: FALLBACK, INFRA_SYNC_DATA: `${dir}/data` }
    let child: ChildServer = await spawnServer(dir, { ...env, INFRA_SYNC_FAILPOINT: point })
    t.teardown(() => child.proc.kill('SIGKILL'))
    const exited = new Promise<NodeJS.Signals | null>((r) => child.proc.on('exit', (_code, signal) => r(signal)))

    const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main' })
    const send = (url: string) => fetch(`${url}/v1/events`, { method: 'POST', headers: signedHeaders(FALLBACK, body, { id: 'ci-run-1' }), body })
    let id: string | undefined
    try {
      const res = await send(child.url)
      t.equal(res.status, 202)
      id = ((await res.json()) as { id: string }).id
    } catch {
      t.equal(point, 'after-accept', 'only the accept failpoint leaves the client without an answer')
    }
    t.equal(await exited, 'SIGKILL', 'the process killed itself at the failpoint')
    t.match(child.output(), new RegExp(`failpoint ${point} reached`))

    child = await spawnServer(dir, env)
    if (point === 'after-accept') {
      // The CI never heard back, so it sends again with the same delivery id: the stored event answers.
      const res = await send(child.url)
      t.equal(res.status, 200, 'the event was on disk before the crash')
      id = ((await res.json()) as { id: string }).id
    }
    const final = await eventually(async () => {
      const r = (await (await fetch(`${child.url}/v1/events/${id}`)).json()) as { status: string; commit?: string }
      return r.status === 'applied' ? r : undefined
    }, 30_000, 'the event to be applied after the restart')
    const carrying = commits(bare).filter((c) => c.events.includes(id!))
    t.equal(carrying.length, 1, 'exactly one commit carries the event')
    t.equal(final.commit, carrying[0]!.sha)
    t.equal(commits(bare).length, 2, 'seed + one deploy')
    git(bare, 'fsck', '--strict')
    t.equal(await child.stop(), 0)
  })
}
