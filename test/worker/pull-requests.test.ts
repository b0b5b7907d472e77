import t from 'tap'
import { LocalRemote } from '../../src/git/local-remote.js'
import { commits, git, makeBareRepo, show } from '../helpers/git-cli.js'
import { MemoryForge } from '../helpers/memory-forge.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { tmpDir } from '../helpers/tmp.js'
import { workerHarness } from '../helpers/worker-harness.js'

const PROD = 'services/orders-api/overlays/prod/kustomization.yaml'
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'
const BRANCH = 'infra-sync/orders-api/prod'

async function setup(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  const forge = new MemoryForge(bare)
  const h = await workerHarness(t, new LocalRemote(bare, 'main'), {}, { forge, reports: new Map([['acme/orders-api', 'status' as const]]) })
  const accept = async (tag: string) => {
    const source = 'acme/orders-api'
    return (await h.store.accept({ source, deliveryId: `d-${tag}-${Math.random()}`, event: { source, image: 'ghcr.io/acme/orders-api', tag, ref: 'refs/heads/main', commit: 'a'.repeat(40) }, receivedAt: h.clock.now() })).id
  }
  return { ...h, bare, forge, accept }
}

const branchCommits = (bare: string) => git(bare, 'rev-list', `main..${BRANCH}`).trim().split('\n').filter(Boolean)

t.test('one event: dev committed on main, prod proposed in one PR from a one-commit branch', async (t) => {
  const { bare, forge, worker, store, accept } = await setup(t)
  const id = await accept('1.4.2')
  await worker.runOnce()
  const r = (await store.get(id))!
  t.equal(r.status, 'proposed')
  t.equal(r.commit, commits(bare)[0]!.sha, "the event names dev's commit on main")
  const dev = r.targets.find((x) => x.environment === 'dev')!
  const prod = r.targets.find((x) => x.environment === 'prod')!
  t.equal(dev.status, 'applied')
  t.equal(prod.status, 'proposed')
  t.equal(prod.pullRequest?.state, 'open')
  t.match(show(bare, 'main', DEV), /newTag: 1\.4\.2/)
  t.match(show(bare, 'main', PROD), /newTag: 1\.4\.1/)
  t.match(show(bare, BRANCH, PROD), /newTag: 1\.4\.2/)
  t.equal(branchCommits(bare).length, 1)
  t.equal(forge.pulls.size, 1)
  t.equal(forge.pulls.get(prod.pullRequest!.number)!.info.title, 'deploy(orders-api/prod): 1.4.1 → 1.4.2')
  const states = Object.fromEntries(forge.reports.map((x) => [x.environment, x.state]))
  t.same(states, { dev: 'success', prod: 'pending' })
})

t.test('a newer build updates the same PR; the older event is superseded; an older one is skipped', async (t) => {
  const { bare, forge, worker, store, accept } = await setup(t)
  const first = await accept('1.4.2')
  await worker.runOnce()
  const second = await accept('1.4.3')
  await worker.runOnce()
  const older = await accept('1.4.0')
  await worker.runOnce()
  t.equal(forge.pulls.size, 1)
  const a = (await store.get(first))!
  const b = (await store.get(second))!
  t.equal(a.targets.find((x) => x.environment === 'prod')!.status, 'superseded')
  t.equal(b.status, 'proposed')
  t.equal(b.targets.find((x) => x.environment === 'prod')!.pullRequest!.number, a.targets.find((x) => x.environment === 'prod')!.pullRequest!.number)
  t.match(show(bare, BRANCH, PROD), /newTag: 1\.4\.3/)
  t.equal(branchCommits(bare).length, 1, 'regenerated from main as one commit')
  t.equal((await store.get(older))!.status, 'skipped')
})

t.test('merged by a person: applied with the merge commit, a deployment, success reported', async (t) => {
  const { bare, forge, worker, store, accept } = await setup(t)
  const id = await accept('1.4.2')
  await worker.runOnce()
  const number = (await store.get(id))!.targets.find((x) => x.environment === 'prod')!.pullRequest!.number
  const merged = forge.merge(number, 'alice')
  await worker.pullRequestChanged(number)
  const r = (await store.get(id))!
  t.equal(r.status, 'applied')
  const prod = r.targets.find((x) => x.environment === 'prod')!
  t.equal(prod.status, 'applied')
  t.equal(prod.pullRequest?.state, 'merged')
  t.equal(prod.pullRequest?.mergedBy, 'alice')
  t.equal(prod.pullRequest?.mergeCommit, merged.mergeCommit)
  t.equal(prod.pullRequest?.mergedAt, merged.mergedAt)
  t.match(show(bare, 'main', PROD), /newTag: 1\.4\.2/)
  t.equal(commits(bare)[0]!.sha, merged.mergeCommit)
  t.ok(forge.reports.some((x) => x.environment === 'prod' && x.state === 'success'))
  // The next build of prod is compared with what the merge deployed.
  const again = await accept('1.4.2')
  await worker.runOnce()
  t.not((await store.get(again))!.status, 'proposed')
})

t.test('closed unmerged: declined, failure reported; a newer build opens a new PR', async (t) => {
  const { forge, worker, store, accept } = await setup(t)
  const id = await accept('1.4.2')
  await worker.runOnce()
  const number = (await store.get(id))!.targets.find((x) => x.environment === 'prod')!.pullRequest!.number
  forge.close(number)
  // No webhook: the poll finds it.
  await worker.pollPullRequests()
  const r = (await store.get(id))!
  t.equal(r.targets.find((x) => x.environment === 'prod')!.status, 'declined')
  t.ok(forge.reports.some((x) => x.environment === 'prod' && x.state === 'failure'))
  const newer = await accept('1.5.0')
  await worker.runOnce()
  const pr = (await store.get(newer))!.targets.find((x) => x.environment === 'prod')!.pullRequest!
  t.not(pr.number, number)
  t.equal(forge.pulls.get(number)!.info.state, 'closed', 'never reopened')
})

t.test('a dead event is reported as failure for each environment it was meant for', async (t) => {
  const files = exampleInfraFiles()
  files[PROD] = 'images: [unclosed\n'
  const bare = makeBareRepo(tmpDir(t), files)
  const forge = new MemoryForge(bare)
  const h = await workerHarness(t, new LocalRemote(bare, 'main'), { maxAttempts: 1 }, { forge, reports: new Map([['acme/orders-api', 'status' as const]]) })
  const source = 'acme/orders-api'
  const { id } = await h.store.accept({ source, deliveryId: 'd-dead', event: { source, image: 'ghcr.io/acme/orders-api', tag: '1.4.2', ref: 'refs/heads/main', commit: 'b'.repeat(40) }, receivedAt: h.clock.now() })
  await h.worker.runOnce()
  t.equal((await h.store.get(id))!.status, 'dead')
  const failed = forge.reports.filter((r) => r.state === 'failure').map((r) => r.environment).sort()
  t.same(failed, ['dev', 'prod'])
  t.equal(forge.pulls.size, 0)
})

t.test('the forge fails after the commit landed: the retry keeps that commit and opens the PR, nothing committed twice', async (t) => {
  const { bare, forge, worker, store, accept, clock } = await setup(t)
  forge.failNextOpen = true
  const id = await accept('1.4.2')
  await worker.runOnce()
  const failed = (await store.get(id))!
  t.equal(failed.status, 'failed')
  t.equal(failed.attempts, 0, 'a forge outage is not the event’s fault')
  const devCommit = commits(bare)[0]!
  t.same(devCommit.events, [id])
  clock.advance(60_000)
  await worker.runOnce()
  const r = (await store.get(id))!
  t.equal(r.status, 'proposed')
  t.equal(r.commit, devCommit.sha)
  t.equal(r.targets.find((x) => x.environment === 'dev')!.status, 'applied')
  t.equal(r.targets.find((x) => x.environment === 'prod')!.status, 'proposed')
  t.equal(commits(bare).filter((c) => c.events.includes(id)).length, 1)
  t.equal(forge.pulls.size, 1)
})
