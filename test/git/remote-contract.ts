import fs from 'node:fs'
import path from 'node:path'
import type { Test } from 'tap'
import type { Remote } from '../../src/git/remote.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir, writeTree } from '../helpers/tmp.js'

/** Makes a fresh Remote (not yet prepared) on the bare repository `bare`; `dir` is a temp folder for its clone. */
export type RemoteFactory = (t: Test, bare: string, dir: string) => Promise<Remote>

export interface ContractOptions {
  /** The remote runs the repository's hooks (false for a repository used in place). */
  readonly hooks: boolean
}

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const FILE = 'services/orders-api/overlays/prod/kustomization.yaml'
const PR = 'refs/heads/infra-sync/orders-api/prod'

/** A pre-receive hook that refuses updates of main as GitHub's branch protection does. */
function protectMain(bare: string): void {
  const hook = ['#!/bin/sh', 'while read old new ref; do', '  if [ "$ref" = "refs/heads/main" ]; then', '    echo "error: GH006: Protected branch update failed for refs/heads/main." >&2', '    exit 1', '  fi', 'done', 'exit 0', ''].join('\n')
  fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), hook, { mode: 0o755 })
}

/**
 * What every Remote must do, checked against a real bare repository with the
 * git CLI as the independent witness. Each test gets a fresh repository with
 * one seed commit.
 */
export function remoteContract(t: Test, name: string, factory: RemoteFactory, opts: ContractOptions): void {
  // One seed repository made with git, copied for each test (git's own spawns are the slow part on a loaded machine).
  const template = makeBareRepo(tmpDir(t), { [FILE]: 'v1\n', 'README.md': 'x\n' })
  async function setup(t: Test) {
    const dir = tmpDir(t)
    const bare = path.join(dir, 'infra.git')
    fs.cpSync(template, bare, { recursive: true })
    const remote = await factory(t, bare, dir)
    t.teardown(() => remote.close())
    await remote.prepare()
    const head = (await remote.sync())!
    const change = (content: string, parent = head) => writeCommit(remote.objects, { parent, files: new Map([[FILE, Buffer.from(content)]]), message: `${content}\n`, author, when: new Date() })
    return { dir, bare, remote, head, change }
  }
  const at = (bare: string, ref: string) => git(bare, 'rev-parse', ref).trim()

  t.test(`${name}: push moves the branch; a stale base is rejected; a hook's refusal is a refusal`, async (t) => {
    const { bare, remote, head, change } = await setup(t)
    const c1 = await change('v2\n')
    await remote.push(head, c1)
    t.equal(at(bare, 'main'), c1.oid)
    t.equal(git(bare, 'show', `main:${FILE}`), 'v2\n')
    t.equal(await remote.sync(), c1.oid)
    const c2 = await change('v3\n')
    await t.rejects(remote.push(head, c2), { code: 'PUSH_REJECTED' }, 'the base is no longer the head')
    t.equal(at(bare, 'main'), c1.oid, 'never forced')
    if (opts.hooks) {
      protectMain(bare)
      await t.rejects(remote.push(c1.oid, await change('v4\n', c1.oid)), { code: 'PUSH_REFUSED' }, 'a pre-receive hook refusing is a refusal, not a race')
      t.equal(at(bare, 'main'), c1.oid)
    }
  })

  t.test(`${name}: sync returns the head, its objects readable; a human commit pushed with git is fetched`, async (t) => {
    const { dir, bare, remote, head } = await setup(t)
    t.equal(head, at(bare, 'main'))
    const seed = await remote.objects.readCommit(head)
    t.ok((await remote.objects.readTree(seed.tree)).some((e) => e.path === 'README.md'))
    t.equal(await remote.sync(), head, 'a second sync, nothing new')
    const work = path.join(dir, 'human')
    git(dir, 'clone', '-q', bare, work)
    writeTree(work, { 'notes.txt': 'by hand\n' })
    git(work, 'add', '-A')
    git(work, 'commit', '-q', '-m', 'by hand')
    git(work, 'push', '-q', 'origin', 'HEAD:main')
    const human = at(bare, 'main')
    t.not(human, head)
    t.equal(await remote.sync(), human)
    const commit = await remote.objects.readCommit(human)
    t.same(commit.parents, [head])
    const blob = (await remote.objects.readTree(commit.tree)).find((e) => e.path === 'notes.txt')!
    t.equal((await remote.objects.readBlob(blob.oid)).toString(), 'by hand\n')
  })

  t.test(`${name}: listRefs and pushRef create, move with a lease, never force`, async (t) => {
    const { bare, remote, head, change } = await setup(t)
    t.same(Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/')), {})
    const c1 = await change('v2\n')
    await remote.pushRef(PR, null, c1)
    t.equal(at(bare, PR), c1.oid, 'created')
    t.equal(at(bare, 'main'), head, 'main untouched')
    t.same(Object.fromEntries(await remote.listRefs('refs/heads/infra-sync/')), { [PR]: c1.oid })
    const c2 = await change('v3\n')
    await remote.pushRef(PR, c1.oid, c2)
    t.equal(at(bare, PR), c2.oid, 'moved')
    const c3 = await change('v4\n')
    await t.rejects(remote.pushRef(PR, c1.oid, c3), { code: 'PUSH_REJECTED' }, 'a stale lease')
    await t.rejects(remote.pushRef(PR, null, c3), { code: 'PUSH_REJECTED' }, 'it must not exist, and it does')
    t.equal(at(bare, PR), c2.oid, 'never forced')
    t.same(Object.fromEntries(await remote.listRefs(PR)), { [PR]: c2.oid }, 'a whole ref is a prefix too')
    await t.rejects(remote.listRefs('refs/../x'), { code: 'INVALID_REF' })
    await t.rejects(remote.pushRef('refs/tags/x', null, c3), { code: 'INVALID_REF' })
  })
}
