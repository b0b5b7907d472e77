import t from 'tap'
import { commits, git, show } from '../helpers/git-cli.js'
import { checkClean, commitOf, DEV, PROD, PROD_BRANCH, startPrRig, targetOf } from '../helpers/pull-request-rig.js'
import { SECRET_A } from '../helpers/sign.js'
import { eventually } from '../helpers/tmp.js'

/**
 * The basic flow of an environment updated by pull request, through the real
 * binary and the fake GitHub: a build commits dev and opens one PR for prod; a
 * newer build updates that same PR (its branch regenerated on main), an older
 * one changes nothing; a person merges it and the event reads applied.
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!
// infra-sync's spacing of GitHub writes, kept but short: by default 1 s between writes and 3 s between
// notifications, which is most of these tests' time. They assert outcomes; the default spacing runs in
// the other pull-request tests.
const PACING = { githubPacing: { writeMs: 50, notificationMs: 150 } }

t.test('open, update in place, ignore an older build, merged by a person', async (t) => {
  const rig = await startPrRig(t, { config: PACING })
  const { gh, bare } = rig

  // 1.4.2: dev by commit, prod by a new pull request.
  const seed = rig.tip('main')
  const id1 = await rig.post('1.4.2')
  const e1 = await rig.until(id1, ['proposed'])
  const dev1 = targetOf(e1, 'dev')
  const prod1 = targetOf(e1, 'prod')
  t.match(dev1, { status: 'applied', decision: 'update', from: '1.4.1', to: '1.4.2' })
  t.match(prod1, { status: 'proposed', decision: 'update', update: 'pull-request', code: 'proposed', from: '1.4.1', to: '1.4.2', pullRequest: { state: 'open' } })
  const n = prod1.pullRequest!.number
  t.match(prod1.pullRequest!.url, new RegExp(`/pull/${n}$`))

  const main1 = rig.tip('main')
  t.equal(e1.commit, main1, "the event's commit is dev's, on main")
  t.same(commits(bare)[0]!.events, [id1])
  t.equal(tagIn(show(bare, 'main', DEV)), '1.4.2')
  t.equal(tagIn(show(bare, 'main', PROD)), '1.4.1', 'prod is not changed on main')

  // One commit on top of main's head after the batch: dev's commit (a commit environment goes first).
  t.equal(rig.tip(`${PROD_BRANCH}^`), main1, 'the branch is one commit on top of main')
  t.equal(git(bare, 'rev-list', '--count', `main..${PROD_BRANCH}`).trim(), '1')
  t.equal(git(bare, 'diff', '--name-only', `${PROD_BRANCH}^`, PROD_BRANCH).trim(), PROD, 'the branch changes prod only')
  t.equal(tagIn(show(bare, PROD_BRANCH, PROD)), '1.4.2')
  t.equal(git(bare, 'diff', '--name-only', 'main', PROD_BRANCH).trim(), PROD, "the PR's diff against main is prod's change only")
  t.equal(show(bare, PROD_BRANCH, PROD), show(bare, 'main', PROD).replace('newTag: 1.4.1', 'newTag: 1.4.2'), 'only the tag changed')

  t.equal(gh.pulls.size, 1)
  const pr1 = gh.pulls.get(n)!
  t.match(pr1, { state: 'open', merged: false, head: PROD_BRANCH, base: 'main', title: 'deploy(orders-api/prod): 1.4.1 → 1.4.2' })
  t.equal(pr1.headSha, rig.tip(PROD_BRANCH))
  t.match(pr1.body, PROD)
  t.match(pr1.body, '<!-- infra-sync:proposal orders-api/prod -->')

  // The source repository hears about each environment on the build's commit.
  await eventually(() => (rig.lastStatus(commitOf('1.4.2'), 'infra-sync/dev') === 'success' ? true : undefined), 15_000, 'infra-sync/dev success')
  await eventually(() => (rig.lastStatus(commitOf('1.4.2'), 'infra-sync/prod') === 'pending' ? true : undefined), 15_000, 'infra-sync/prod pending')
  t.ok(gh.statuses.every((s) => s.repo === 'acme/orders-api'), 'reports go to the source repository')

  // 1.4.4: the same pull request, its branch regenerated on the new main.
  const id2 = await rig.post('1.4.4')
  const e2 = await rig.until(id2, ['proposed'])
  t.match(targetOf(e2, 'dev'), { status: 'applied', to: '1.4.4' })
  t.match(targetOf(e2, 'prod'), { status: 'proposed', to: '1.4.4', pullRequest: { number: n, state: 'open' } })
  const main2 = rig.tip('main')
  t.not(main2, main1, 'dev moved on main')
  t.ok([main1, main2].includes(rig.tip(`${PROD_BRANCH}^`)), 'the branch is regenerated: one commit on top of the newer main')
  t.equal(git(bare, 'rev-list', '--count', `main..${PROD_BRANCH}`).trim(), '1')
  t.equal(git(bare, 'diff', '--name-only', `${PROD_BRANCH}^`, PROD_BRANCH).trim(), PROD)
  t.equal(tagIn(show(bare, PROD_BRANCH, PROD)), '1.4.4')
  t.equal(gh.pulls.size, 1, 'no second pull request')
  const pr2 = gh.pulls.get(n)!
  t.match(pr2, { state: 'open', title: 'deploy(orders-api/prod): 1.4.1 → 1.4.4' })
  t.equal(pr2.headSha, rig.tip(PROD_BRANCH))

  const e1again = await rig.event(id1)
  t.match(targetOf(e1again, 'prod'), { status: 'superseded' }, "1.4.2's prod change was overtaken in its PR")
  t.match(targetOf(e1again, 'dev'), { status: 'applied' })
  t.equal(e1again.status, 'applied', 'its dev change is on main and nothing of it waits in a PR')

  // 1.4.3 afterwards: newer than prod on main, older than what the PR proposes; nothing moves.
  const before = { tip: rig.tip(PROD_BRANCH), main: rig.tip('main'), title: pr2.title, body: pr2.body }
  const id3 = await rig.post('1.4.3')
  const e3 = await rig.until(id3, ['skipped'])
  t.match(targetOf(e3, 'prod'), { decision: 'skip', code: 'older' })
  t.match(targetOf(e3, 'prod').reason, new RegExp(`PR #${n}`), 'the reason names the PR')
  t.match(targetOf(e3, 'dev'), { decision: 'skip', code: 'older' })
  const pr3 = gh.pulls.get(n)!
  t.same({ tip: rig.tip(PROD_BRANCH), main: rig.tip('main'), title: pr3.title, body: pr3.body }, before, 'the PR and main are unchanged')
  t.equal(gh.pulls.size, 1)

  // A person merges: the webhook says so, the event is applied.
  await gh.mergeByPerson(n, 'alice')
  const e2m = await rig.until(id2, ['applied'])
  t.match(targetOf(e2m, 'prod'), { status: 'applied', pullRequest: { number: n, state: 'merged', mergedBy: 'alice', mergeCommit: rig.tip('main') } })
  t.equal(tagIn(show(bare, 'main', PROD)), '1.4.4', 'main has prod at 1.4.4')
  t.equal(tagIn(show(bare, 'main', DEV)), '1.4.4')
  await eventually(() => (rig.lastStatus(commitOf('1.4.4'), 'infra-sync/prod') === 'success' ? true : undefined), 15_000, 'infra-sync/prod success')
  t.match(targetOf(await rig.event(id1), 'prod'), { status: 'superseded' }, 'the merge applies the build it carried, not the one it replaced')
  t.equal(git(bare, 'rev-list', '--merges', '--count', 'main').trim(), '1', 'the merge commit is the only merge on main')

  // infra-sync counts its own API calls for /metrics.
  const metrics = await (await fetch(`${rig.server.url}/metrics`)).text()
  t.match(metrics, /^infra_sync_forge_requests_total [1-9]/m)
  checkClean(t, rig)
  t.equal(await rig.server.stop(), 0, 'a clean shutdown on SIGTERM')
})

t.test('report: deployments: one deployment per environment on the build commit, its statuses follow the PR', async (t) => {
  const rig = await startPrRig(t, { sources: { 'acme/orders-api': { secret: SECRET_A, report: 'deployments' } }, config: PACING })
  const { gh } = rig
  const id = await rig.post('1.4.2')
  const e = await rig.until(id, ['proposed'])
  const n = targetOf(e, 'prod').pullRequest!.number
  const of = (env: string) => gh.deployments.filter((d) => d.repo === 'acme/orders-api' && d.ref === commitOf('1.4.2') && d.environment === env)
  const last = (env: string) => of(env)[0]?.statuses.at(-1)?.state
  await eventually(() => (last('dev') === 'success' && last('prod') === 'pending' ? true : undefined), 15_000, 'dev success and prod pending')
  t.equal(gh.statuses.length, 0, 'no commit statuses: the source asked for deployments')

  await gh.mergeByPerson(n, 'alice')
  await rig.until(id, ['applied'])
  await eventually(() => (last('prod') === 'success' ? true : undefined), 15_000, 'prod success after the merge')
  t.equal(of('prod').length, 1, "the merge's status goes to the same deployment")
  t.equal(of('dev').length, 1)
  checkClean(t, rig)
})
