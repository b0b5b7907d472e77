import t from 'tap'
import { show } from '../helpers/git-cli.js'
import { checkClean, PROD, PROD_BRANCH, startPrRig } from '../helpers/pull-request-rig.js'
import { eventually } from '../helpers/tmp.js'

/**
 * A protected main refuses direct pushes (GitHub's GH006): a commit
 * environment there cannot work, so its event is dead with PUSH_REFUSED at
 * once instead of being retried for ever; the same event's pull-request
 * environment still gets its PR, because a branch push is not refused.
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('a commit environment on a protected main: dead, PUSH_REFUSED; the PR environment still gets its PR', async (t) => {
  const rig = await startPrRig(t, { fake: { protectMain: true } })
  const main = rig.tip('main')
  const id = await rig.post('1.4.2')
  const dead = await rig.until(id, ['dead'], 60_000)
  t.equal(dead.code, 'PUSH_REFUSED')
  t.equal(rig.tip('main'), main, 'main is unchanged')

  const pr = await eventually(() => rig.pullsFor(PROD_BRANCH).find((p) => p.state === 'open'), 15_000, 'the prod pull request')
  t.equal(pr.title, 'deploy(orders-api/prod): 1.4.1 → 1.4.2')
  t.equal(pr.headSha, rig.tip(PROD_BRANCH))
  t.equal(tagIn(show(rig.bare, PROD_BRANCH, PROD)), '1.4.2')
  t.equal(rig.pullsFor(PROD_BRANCH).length, 1)
  t.equal((await rig.event(id)).status, 'dead', 'still dead: a refused push is not retried')
  checkClean(t, rig)
})
