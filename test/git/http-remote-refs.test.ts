import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { ForgeError } from '../../src/core/errors.js'
import type { GitCredentials } from '../../src/forges/forge.js'
import { HttpRemote } from '../../src/git/http-remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const TOKEN = 'ghs_firstinstallationtoken0123456789'
const ROTATED = 'ghs_secondinstallationtoken9876543210'
const BRANCH = 'refs/heads/infra-sync/orders-api/prod'

/** What setup needs of a test: somewhere to clean up. */
interface Tap {
  teardown(fn: () => unknown): void
}

/** A pre-receive hook that refuses every update of main the way GitHub's branch protection does. */
function protectMain(bare: string): void {
  const hook = ['#!/bin/sh', 'while read old new ref; do', '  if [ "$ref" = "refs/heads/main" ]; then', '    echo "error: GH006: Protected branch update failed for refs/heads/main." >&2', '    exit 1', '  fi', 'done', 'exit 0', ''].join('\n')
  fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), hook, { mode: 0o755 })
}

async function setup(t: Tap, opts: { token?: string } = {}) {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'services/orders-api/overlays/prod/kustomization.yaml': 'v1\n', 'README.md': 'x\n' })
  const server = await startGitServer(bare, opts.token ? { token: opts.token } : {})
  t.teardown(() => server.close())
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones'), ...(opts.token && { token: opts.token }) })
  t.teardown(() => remote.close())
  await remote.prepare()
  const head = (await remote.sync())!
  const change = (content: string, parent = head) =>
    writeCommit(remote.objects, { parent, files: new Map([['services/orders-api/overlays/prod/kustomization.yaml', Buffer.from(content)]]), message: `${content}\n`, author, when: new Date() })
  return { dir, bare, server, remote, head, change }
}

const tracking = (gitdir: string) => git(gitdir, 'rev-parse', 'refs/remotes/origin/main').trim()

t.test('listRefs: the refs under a prefix, as the remote advertises them', async (t) => {
  const { bare, remote, head } = await setup(t)
  git(bare, 'branch', 'infra-sync/orders-api/prod', 'main')
  git(bare, 'branch', 'infra-sync/payments/dev', 'main')
  git(bare, 'branch', 'feature/x', 'main')
  git(bare, 'tag', '-a', '-m', 'v1', 'v1', 'main')
  t.same(
    Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/')),
    { [BRANCH]: head, 'refs/heads/infra-sync/payments/dev': head },
  )
  t.same(Object.fromEntries(await remote.listRefs(BRANCH)), { [BRANCH]: head }, 'a whole ref is a prefix too')
  t.same(Object.fromEntries(await remote.listRefs('refs/heads/nothing/')), {})
  await t.rejects(remote.listRefs('refs/../x'), { code: 'INVALID_REF' })
})

t.test('pushRef: creates, moves with a lease, never forces; the tracking ref of main stays', async (t) => {
  const { bare, remote, head, change } = await setup(t)
  const c1 = await change('v2\n')
  await remote.pushRef(BRANCH, null, c1)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c1.oid, 'created')
  t.equal(git(bare, 'show', `${BRANCH}:services/orders-api/overlays/prod/kustomization.yaml`), 'v2\n')
  t.equal(git(bare, 'rev-parse', 'main').trim(), head, 'main untouched')
  t.equal(tracking(remote.gitdir), head, "main's tracking ref untouched")
  t.equal(git(remote.gitdir, 'cat-file', '-t', c1.oid).trim(), 'commit', 'the objects it sent are in the local clone')

  const c2 = await change('v3\n')
  await remote.pushRef(BRANCH, c1.oid, c2)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c2.oid, 'moved from where it was')

  const c3 = await change('v4\n')
  await t.rejects(remote.pushRef(BRANCH, c1.oid, c3), { code: 'PUSH_REJECTED' }, 'the lease names an old value')
  await t.rejects(remote.pushRef(BRANCH, null, c3), { code: 'PUSH_REJECTED' }, 'it must not exist, and it does')
  await t.rejects(remote.pushRef('refs/heads/infra-sync/missing/prod', c1.oid, c3), { code: 'PUSH_REJECTED' }, 'it must exist, and it does not')
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c2.oid, 'never forced')
  await remote.pushRef(BRANCH, c2.oid, c3)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), c3.oid, 'the same commit, leased again on the value it really has')
  t.equal(tracking(remote.gitdir), head)
  git(bare, 'fsck', '--strict')
  git(remote.gitdir, 'fsck', '--strict', '--no-dangling')
})

t.test('pushRef refuses a ref git would refuse, before any request', async (t) => {
  const { server, remote, change } = await setup(t)
  const c = await change('v2\n')
  server.requests.length = 0
  for (const ref of ['refs/heads/infra-sync/a..b/prod', 'refs/heads/infra-sync/x.lock', 'main', 'refs/heads/a b', 'refs/tags/v1']) {
    await t.rejects(remote.pushRef(ref, null, c), { code: 'INVALID_REF' }, ref)
  }
  t.same(server.requests, [], 'nothing reached the remote')
})

t.test('a commit sharing an object with one pushed already is still pushed whole', async (t) => {
  const { bare, remote, head } = await setup(t)
  const files = (content: string) => new Map([['services/orders-api/overlays/prod/kustomization.yaml', Buffer.from(content)]])
  const onMain = await writeCommit(remote.objects, { parent: head, files: files('same\n'), message: 'main\n', author, when: new Date() })
  const onBranch = await writeCommit(remote.objects, { parent: head, files: files('same\n'), message: 'branch\n', author, when: new Date(Date.now() + 1000) })
  await remote.push(head, onMain)
  await remote.pushRef(BRANCH, null, onBranch)
  git(bare, 'fsck', '--strict')
  t.equal(git(bare, 'show', `${BRANCH}:services/orders-api/overlays/prod/kustomization.yaml`), 'same\n')
})

t.test("a protected main (pre-receive hook, GitHub's GH006): PUSH_REFUSED with the remote's reason; other branches still go", async (t) => {
  const { bare, remote, head, change } = await setup(t, { token: TOKEN })
  protectMain(bare)
  const c = await change('v2\n')
  const e = await remote.push(head, c).catch((err) => err)
  t.match(e, { code: 'PUSH_REFUSED', retryable: false, data: { ref: 'refs/heads/main' } })
  t.match(e.data.reason, /GH006/, "the remote's explanation is kept")
  t.notMatch(`${e.message} ${JSON.stringify(e.data)}`, TOKEN)
  t.equal(git(bare, 'rev-parse', 'main').trim(), head)
  t.equal(tracking(remote.gitdir), head)

  const b = await change('v3\n')
  await remote.pushRef(BRANCH, null, b)
  t.equal(git(bare, 'rev-parse', BRANCH).trim(), b.oid)
})

t.test('credentials from a provider: asked for every exchange, a rotated token is used', async (t) => {
  const { dir, server, bare, head } = await setup(t, { token: TOKEN })
  const state = { password: TOKEN, asked: 0 }
  const provider = async (): Promise<GitCredentials> => {
    state.asked++
    return { username: 'x-access-token', password: state.password }
  }
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'provided'), credentials: provider })
  t.teardown(() => remote.close())
  await remote.prepare()
  server.requests.length = 0
  t.equal(await remote.sync(), head)
  t.ok(state.asked > 0, 'asked')

  // The forge refreshed the installation token; the old one is no longer accepted.
  server.token = ROTATED
  state.password = ROTATED
  server.requests.length = 0
  const c = await writeCommit(remote.objects, { parent: head, files: new Map([['README.md', Buffer.from('y\n')]]), message: 'm\n', author, when: new Date() })
  await remote.push(head, c)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c.oid, 'asked again for the push: the new token was used')
  const expected = `Basic ${Buffer.from(`x-access-token:${ROTATED}`).toString('base64')}`
  t.ok(server.requests.every((r) => r.authorization === expected), 'every exchange carried the rotated token')
})

t.test('a 401: the provider is asked again (it may refresh) and the exchange tried once more; a second 401 stands', async (t) => {
  const { dir, server, head } = await setup(t, { token: TOKEN })
  server.token = ROTATED
  // A provider whose cached token expired: the first answer is stale, asking again refreshes it.
  let stale = true
  const refreshing = async (): Promise<GitCredentials> => {
    const password = stale ? TOKEN : ROTATED
    stale = false
    return { username: 'x-access-token', password }
  }
  const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'refreshing'), credentials: refreshing })
  t.teardown(() => remote.close())
  await remote.prepare()
  t.equal(await remote.sync(), head)

  const wrong = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'wrong'), credentials: async () => ({ username: 'x-access-token', password: TOKEN }) })
  t.teardown(() => wrong.close())
  await wrong.prepare()
  const e = await wrong.sync().catch((err) => err)
  t.match(e, { code: 'GIT_REMOTE', retryable: false, data: { status: 401 } })
  t.notMatch(`${e.message} ${JSON.stringify(e.data)}`, TOKEN)

  server.hooks = { before: () => 'fail' }
  const e500 = await remote.sync().catch((err) => err)
  t.match(e500, { code: 'GIT_REMOTE', retryable: true, data: { status: 500 } }, 'other codes as before')
})

t.test('a provider that fails is the remote unavailable, retryable as its error says', async (t) => {
  const { dir, server } = await setup(t, { token: TOKEN })
  const down = new HttpRemote({
    url: server.url,
    branch: 'main',
    clonesDir: path.join(dir, 'down'),
    credentials: async () => {
      throw new ForgeError('FORGE_UNAVAILABLE', 'GitHub answered 502', { status: 502, operation: 'installation token' })
    },
  })
  t.teardown(() => down.close())
  await down.prepare()
  t.match(await down.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: true })
  const revoked = new HttpRemote({
    url: server.url,
    branch: 'main',
    clonesDir: path.join(dir, 'revoked'),
    credentials: async () => {
      throw new ForgeError('FORGE_AUTH', 'the app was uninstalled', { status: 401, operation: 'installation token' })
    },
  })
  t.teardown(() => revoked.close())
  await revoked.prepare()
  t.match(await revoked.sync().catch((e) => e), { code: 'GIT_REMOTE', retryable: false })
})
