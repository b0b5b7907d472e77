import t from 'tap'
import { commits, git, show } from '../helpers/git-cli.js'
import { checkClean, PROD, PROD_BRANCH, startPrRig, targetOf } from '../helpers/pull-request-rig.js'

/**
 * The process kills itself after pushing the proposal branch and before
 * asking GitHub for the pull request. Restarted, it ends with exactly one PR
 * for the branch (never two), the event proposed, and dev's commit on main
 * once.
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('killed after the branch push, before the PR: one PR after the restart', async (t) => {
  const rig = await startPrRig(t, { env: { INFRA_SYNC_FAILPOINT: 'after-branch-push' } })
  const exited = new Promise<NodeJS.Signals | null>((r) => rig.server.proc.on('exit', (_code, signal) => r(signal)))
  const seed = rig.tip('main')
  const id = await rig.post('1.4.2')
  t.equal(await exited, 'SIGKILL', 'the process killed itself at the failpoint')
  t.match(rig.server.output(), /failpoint after-branch-push reached/)
  t.equal(tagIn(show(rig.bare, PROD_BRANCH, PROD)), '1.4.2', 'the branch was pushed')
  t.equal(rig.gh.pulls.size, 0, 'no pull request yet')

  // INFRA_SYNC_FAILPOINT set empty: armed for no point.
  await rig.restart({ INFRA_SYNC_FAILPOINT: '' })
  const e = await rig.until(id, ['proposed'])
  const prod = targetOf(e, 'prod')
  t.match(prod, { status: 'proposed', pullRequest: { state: 'open' } })
  const pulls = rig.pullsFor(PROD_BRANCH)
  t.equal(pulls.length, 1, 'exactly one pull request for the branch')
  t.equal(pulls[0]!.number, prod.pullRequest!.number)
  t.equal(pulls[0]!.headSha, rig.tip(PROD_BRANCH))
  t.equal(git(rig.bare, 'rev-list', '--count', `main..${PROD_BRANCH}`).trim(), '1', 'the branch is one commit on top of main')
  t.ok([seed, rig.tip('main')].includes(rig.tip(`${PROD_BRANCH}^`)), "on main's head at the time")
  t.equal(tagIn(show(rig.bare, PROD_BRANCH, PROD)), '1.4.2')
  t.match(targetOf(e, 'dev'), { status: 'applied' })
  t.equal(commits(rig.bare).filter((c) => c.events.includes(id)).length, 1, "dev's change is on main once")
  checkClean(t, rig)
  t.equal(await rig.server.stop(), 0)
})
