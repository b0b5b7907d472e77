import t from 'tap'
import { show } from '../helpers/git-cli.js'
import { checkClean, ordersConfig, PROD, PROD_BRANCH, prInfraFiles, startPrRig, targetOf } from '../helpers/pull-request-rig.js'
import { eventually } from '../helpers/tmp.js'

/**
 * A protected main refuses direct pushes (GitHub's GH006): a commit
 * environment there cannot work, so its event is dead with PUSH_REFUSED at
 * once instead of being retried for ever, and nothing of it is proposed.
 * Every environment by pull request is what works there: its branch push is
 * not refused, and a person's merge deploys it.
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!
// infra-sync's spacing of GitHub writes, kept but short: by default 1 s between writes and 3 s between
// notifications, which is most of these tests' time. They assert outcomes; the default spacing runs in
// the other pull-request tests.
const PACING = { githubPacing: { writeMs: 50, notificationMs: 150 } }

t.test('a commit environment on a protected main: dead, PUSH_REFUSED, nothing proposed', async (t) => {
  const rig = await startPrRig(t, { fake: { protectMain: true }, config: PACING })
  const main = rig.tip('main')
  const id = await rig.post('1.4.2')
  const dead = await rig.until(id, ['dead'], 60_000)
  t.equal(dead.code, 'PUSH_REFUSED')
  t.equal(rig.tip('main'), main, 'main is unchanged')

  // The commit comes first: refused, the event is dead as a whole, and no PR was opened for half of it.
  t.equal(rig.pullsFor(PROD_BRANCH).length, 0, 'nothing proposed for a dead event')
  t.equal((await rig.event(id)).status, 'dead', 'still dead: a refused push is not retried')
  checkClean(t, rig)
})

t.test('every environment by pull request on a protected main: proposed, merged by a person, applied', async (t) => {
  const rig = await startPrRig(t, { fake: { protectMain: true }, files: prInfraFiles(ordersConfig({ dev: false })), config: PACING })
  const id = await rig.post('1.4.2')
  const proposed = await rig.until(id, ['proposed'], 60_000)
  const number = targetOf(proposed, 'prod').pullRequest!.number
  await rig.gh.mergeByPerson(number, 'alice')
  const applied = await rig.until(id, ['applied'], 60_000)
  t.equal(targetOf(applied, 'prod').pullRequest?.state, 'merged')
  t.equal(tagIn(show(rig.bare, 'main', PROD)), '1.4.2')
  checkClean(t, rig)
})
