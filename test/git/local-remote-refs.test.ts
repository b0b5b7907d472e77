import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { LocalRemote } from '../../src/git/local-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const BRANCH = 'refs/heads/infra-sync/orders-api/prod'

/** What setup needs of a test: somewhere to clean up. */
interface Tap {
  teardown(fn: () => unknown): void
}

async function setup(t: Tap) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'services/orders-api/overlays/prod/kustomization.yaml': 'v1\n' })
  const remote = new LocalRemote(bare, 'main')
  await remote.prepare()
  const head = (await remote.sync())!
  const change = (content: string) =>
    writeCommit(remote.objects, { parent: head, files: new Map([['services/orders-api/overlays/prod/kustomization.yaml', Buffer.from(content)]]), message: `${content}\n`, author, when: new Date() })
  return { bare, remote, head, change }
}

t.test('listRefs: loose and packed refs under a prefix, a loose one over its packed value', async (t) => {
  const { bare, remote, head, change } = await setup(t)
  git(bare, 'branch', 'infra-sync/orders-api/prod', 'main')
  git(bare, 'branch', 'infra-sync/payments/dev', 'main')
  git(bare, 'branch', 'infra-syncing', 'main')
  git(bare, 'pack-refs', '--all')
  git(bare, 'branch', 'infra-sync/web/dev', 'main')
  t.same(
    Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/')),
    { [BRANCH]: head, 'refs/heads/infra-sync/payments/dev': head, 'refs/heads/infra-sync/web/dev': head },
  )
  t.same(Object.fromEntries(await remote.listRefs('refs/heads/infra-sync')), {
    [BRANCH]: head,
    'refs/heads/infra-sync/payments/dev': head,
    'refs/heads/infra-sync/web/dev': head,
    'refs/heads/infra-syncing': head,
  }, 'a prefix need not end at a folder')
  const c = await change('v2\n')
  await remote.pushRef(BRANCH, head, c)
  t.same(Object.fromEntries(await remote.listRefs(BRANCH)), { [BRANCH]: c.oid }, 'the loose value wins over the packed one')
  t.same(Object.fromEntries(await remote.listRefs('refs/heads/none/')), {})
  await t.rejects(remote.listRefs('refs/../../etc'), { code: 'INVALID_REF' })
})

t.test('pushRef: creates, moves with a lease, never forces, leaves main alone', async (t) => {
  const { bare, remote, head, change } = await setup(t)
  const c1 = await change('v2\n')
  await remote.pushRef(BRANCH, null, c1)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c1.oid)
  t.equal(git(bare, 'show', `${BRANCH}:services/orders-api/overlays/prod/kustomization.yaml`), 'v2\n', 'the objects were written first')
  const c2 = await change('v3\n')
  await remote.pushRef(BRANCH, c1.oid, c2)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c2.oid)
  const c3 = await change('v4\n')
  await t.rejects(remote.pushRef(BRANCH, c1.oid, c3), { code: 'PUSH_REJECTED' })
  await t.rejects(remote.pushRef(BRANCH, null, c3), { code: 'PUSH_REJECTED' })
  await t.rejects(remote.pushRef('refs/heads/infra-sync/missing/prod', c1.oid, c3), { code: 'PUSH_REJECTED' })
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c2.oid, 'never forced')
  t.equal(git(bare, 'rev-parse', 'main').trim(), head)
  t.equal(await remote.sync(), head)
  t.notOk(fs.existsSync(path.join(bare, `${BRANCH}.lock`)), 'no lock left behind')
  git(bare, 'fsck', '--strict')

  // A human moved it with git (packed, as after git gc): the lease is on what git says it is.
  git(bare, 'update-ref', BRANCH, head)
  git(bare, 'pack-refs', '--all')
  await remote.pushRef(BRANCH, head, c3)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c3.oid)
})

t.test('pushRef refuses names git refuses, and a ref that would clash with another as file and folder', async (t) => {
  const { bare, remote, change } = await setup(t)
  const c = await change('v2\n')
  for (const ref of ['refs/heads/infra-sync/../../config', 'refs/heads/x.lock', 'refs/heads/a..b', 'main']) {
    await t.rejects(remote.pushRef(ref, null, c), { code: 'INVALID_REF' }, ref)
  }
  t.notOk(fs.existsSync(path.join(bare, 'config.lock')))
  git(bare, 'branch', 'infra-sync/orders-api', 'main')
  await t.rejects(remote.pushRef(BRANCH, null, c), { code: 'PUSH_REFUSED', retryable: false })
  await t.rejects(remote.pushRef('refs/heads/infra-sync', null, c), { code: 'PUSH_REFUSED', retryable: false })
  git(bare, 'fsck', '--strict')
})
