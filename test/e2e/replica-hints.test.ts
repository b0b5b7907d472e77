import path from 'node:path'
import t from 'tap'
import { spawnServer } from '../helpers/child-server.js'
import { freshDatabase } from '../helpers/postgres.js'
import { GH_HOOK_SECRET, PROD, startPrRig, targetOf } from '../helpers/pull-request-rig.js'
import { show } from '../helpers/git-cli.js'
import { eventually, tmpDir } from '../helpers/tmp.js'

/**
 * Two replicas on PostgreSQL behind one GitHub webhook that reaches only the
 * standby: its pull_request "merged" hint is relayed to the leader over the
 * store. Open pull requests are polled every ten minutes here, so only the
 * relay can settle the merge within the test.
 */
interface Readyz {
  readonly worker?: { readonly leader?: boolean }
}

t.test("a merge webhook that reaches the standby settles the leader's pull request through PostgreSQL", async (t) => {
  const database = await freshDatabase(t)
  const rig = await startPrRig(t, { env: { INFRA_SYNC_DATABASE_URL: database }, worker: { prPollMs: 600_000 } })
  const second = await spawnServer(tmpDir(t), { ...rig.env, INFRA_SYNC_DATA: path.join(tmpDir(t), 'data') })
  t.teardown(() => second.proc.kill('SIGKILL'))
  const replicas = [rig.server, second]
  const roles = await eventually(async () => {
    const leaders = await Promise.all(replicas.map(async (r) => ((await (await fetch(`${r.url}/readyz`)).json()) as Readyz).worker?.leader === true))
    return leaders.filter(Boolean).length === 1 ? leaders : undefined
  }, 30_000, 'one leader')
  const standby = replicas[roles.indexOf(false)]!
  rig.gh.setWebhook(`${standby.url}/v1/webhooks/github`, GH_HOOK_SECRET)

  const id = await rig.post('1.4.2')
  const proposed = await rig.until(id, ['proposed'])
  const n = targetOf(proposed, 'prod').pullRequest!.number
  await rig.gh.mergeByPerson(n, 'alice')
  const applied = await rig.until(id, ['applied'], 60_000)
  t.match(targetOf(applied, 'prod'), { status: 'applied', pullRequest: { number: n, state: 'merged', mergedBy: 'alice', mergeCommit: rig.tip('main') } })
  t.match(show(rig.bare, 'main', PROD), /newTag: 1\.4\.2/)
  t.equal(await second.stop(), 0)
})
