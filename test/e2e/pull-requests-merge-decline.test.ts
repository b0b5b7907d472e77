import t from 'tap'
import { show } from '../helpers/git-cli.js'
import { checkClean, deadUrl, GH_HOOK_SECRET, ordersConfig, PROD, PROD_BRANCH, prInfraFiles, startPrRig, targetOf } from '../helpers/pull-request-rig.js'

/**
 * How a pull request ends: merged while infra-sync heard nothing (the webhook
 * went nowhere: the poll finds it), and closed unmerged (declined: never
 * reopened; a newer build gets a new PR).
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('merged while the webhook was lost: the poll finds it and the event is applied', async (t) => {
  const rig = await startPrRig(t)
  const id = await rig.post('1.4.2')
  const proposed = await rig.until(id, ['proposed'])
  const n = targetOf(proposed, 'prod').pullRequest!.number

  rig.gh.setWebhook(await deadUrl(), GH_HOOK_SECRET)
  await rig.gh.mergeByPerson(n, 'alice')
  // prPollMs is 1000: a few polls at most, on a loaded machine.
  const applied = await rig.until(id, ['applied'], 30_000)
  t.match(targetOf(applied, 'prod'), { status: 'applied', pullRequest: { number: n, state: 'merged' } })
  t.match(targetOf(applied, 'dev'), { status: 'applied' })
  t.equal(tagIn(show(rig.bare, 'main', PROD)), '1.4.2')
  checkClean(t, rig)
})

t.test('closed unmerged: declined; a newer build opens a new PR and the closed one stays closed', async (t) => {
  // prod only, so that the event's one target decides its status.
  const rig = await startPrRig(t, { files: prInfraFiles(ordersConfig({ dev: false })) })
  const id1 = await rig.post('1.4.2')
  const e1 = await rig.until(id1, ['proposed'])
  t.match(e1.pullRequest, { state: 'open' }, 'an event with one pull request names it')
  const n1 = targetOf(e1, 'prod').pullRequest!.number
  const main = rig.tip('main')

  await rig.gh.close(n1, 'bob')
  const declined = await rig.until(id1, ['declined'])
  t.match(targetOf(declined, 'prod'), { status: 'declined', pullRequest: { number: n1, state: 'closed' } })
  t.equal(rig.tip('main'), main, 'nothing reached main')

  const id2 = await rig.post('1.4.3')
  const e2 = await rig.until(id2, ['proposed'])
  const n2 = targetOf(e2, 'prod').pullRequest!.number
  t.not(n2, n1, 'a new pull request, not the closed one reopened')
  const pulls = rig.pullsFor(PROD_BRANCH)
  t.same(pulls.map((p) => [p.number, p.state]), [[n1, 'closed'], [n2, 'open']])
  t.equal(rig.gh.pulls.get(n1)!.merged, false)
  t.equal(rig.gh.pulls.get(n2)!.title, 'deploy(orders-api/prod): 1.4.1 → 1.4.3')
  t.equal(rig.tip(`${PROD_BRANCH}^`), rig.tip('main'), 'the branch starts again from main')
  t.equal(tagIn(show(rig.bare, PROD_BRANCH, PROD)), '1.4.3')
  t.equal((await rig.event(id1)).status, 'declined', 'the declined event stays declined')
  checkClean(t, rig)
})
