import t from 'tap'
import { git, show } from '../helpers/git-cli.js'
import { checkClean, ordersConfig, PROD, PROD_BRANCH, prInfraFiles, startPrRig, targetOf } from '../helpers/pull-request-rig.js'
import { eventually } from '../helpers/tmp.js'

/**
 * `merge: auto`: with required checks GitHub's auto-merge is turned on and
 * GitHub merges once the checks pass; with nothing to wait for, infra-sync
 * merges the PR itself through the REST API. Either way the event ends applied.
 */
const tagIn = (text: string) => /newTag: (\S+)/.exec(text)![1]!

t.test('required checks: auto-merge enabled, merged by GitHub when the checks pass', async (t) => {
  const rig = await startPrRig(t, { files: prInfraFiles(ordersConfig({ prod: 'merge: auto' })), fake: { requiredChecks: true } })
  const id = await rig.post('1.4.2')
  const proposed = await rig.until(id, ['proposed'])
  const n = targetOf(proposed, 'prod').pullRequest!.number
  const pr = await eventually(() => (rig.gh.pulls.get(n)?.autoMerge ? rig.gh.pulls.get(n) : undefined), 15_000, 'auto-merge to be enabled')
  t.match(pr, { state: 'open', merged: false, autoMerge: { method: 'MERGE' } })
  t.equal(tagIn(show(rig.bare, 'main', PROD)), '1.4.1', 'nothing merged before the checks pass')

  await rig.gh.passChecks(n)
  const applied = await rig.until(id, ['applied'])
  t.match(targetOf(applied, 'prod'), { status: 'applied', pullRequest: { number: n, state: 'merged' } })
  t.equal(rig.gh.pulls.get(n)!.merged, true)
  t.equal(tagIn(show(rig.bare, 'main', PROD)), '1.4.2')
  checkClean(t, rig)
})

t.test('no checks to wait for: infra-sync merges it itself, with the configured method', async (t) => {
  const rig = await startPrRig(t, { files: prInfraFiles(ordersConfig({ prod: 'merge: auto, mergeMethod: squash' })) })
  const id = await rig.post('1.4.2')
  const applied = await rig.until(id, ['applied'])
  const prod = targetOf(applied, 'prod')
  t.match(prod, { status: 'applied', pullRequest: { state: 'merged' } })
  const pr = rig.gh.pulls.get(prod.pullRequest!.number)!
  t.match(pr, { merged: true, head: PROD_BRANCH })
  t.equal(tagIn(show(rig.bare, 'main', PROD)), '1.4.2')
  t.equal(tagIn(show(rig.bare, 'main', 'services/orders-api/overlays/dev/kustomization.yaml')), '1.4.2')
  t.equal(git(rig.bare, 'rev-list', '--merges', '--count', 'main').trim(), '0', 'squashed: no merge commit')
  t.equal(rig.gh.pulls.size, 1)
  checkClean(t, rig)
})
