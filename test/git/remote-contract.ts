import { execFileSync } from 'node:child_process'
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

/** A human's file beside FILE whose name is not UTF-8: git names are bytes. */
const NAME = Buffer.from('notes-\xe9.txt', 'latin1')
const lsTree = (bare: string, rev: string) => execFileSync('git', ['ls-tree', '-z', rev], { cwd: bare }).toString('latin1').split('\0').filter(Boolean)

/** The template: seed, then the non-UTF-8 name, then one more commit, so a depth-1 clone lacks history. */
function makeTemplate(dir: string): string {
  const bare = makeBareRepo(dir, { [FILE]: 'v1\n', 'README.md': 'x\n' })
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  fs.writeFileSync(Buffer.concat([Buffer.from(`${work}/${path.dirname(FILE)}/`), NAME]), 'runbook\n')
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'notes')
  writeTree(work, { 'README.md': 'y\n' })
  git(work, 'commit', '-q', '-am', 'readme')
  git(work, 'push', '-q', 'origin', 'main')
  fs.rmSync(work, { recursive: true, force: true })
  return bare
}

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
  const template = makeTemplate(tmpDir(t))
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
    const before = lsTree(bare, `main:${path.dirname(FILE)}`)
    const c1 = await change('v2\n')
    await remote.push(head, c1)
    t.equal(at(bare, 'main'), c1.oid)
    t.equal(git(bare, 'show', `main:${FILE}`), 'v2\n')
    const notes = (list: string[]) => list.filter((e) => !e.endsWith('\tkustomization.yaml'))
    const after = lsTree(bare, `main:${path.dirname(FILE)}`)
    t.same(notes(after), notes(before), 'a sibling whose name is not UTF-8 keeps its exact bytes')
    t.ok(notes(after)[0]?.endsWith(`\t${NAME.toString('latin1')}`))
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

  t.test(`${name}: a shallow first clone is deepened to the whole history, then deepen answers false`, async (t) => {
    const { bare, remote, head } = await setup(t)
    t.equal(head, at(bare, 'main'))
    t.ok((await remote.objects.readTree((await remote.objects.readCommit(head)).tree)).length > 0, 'the head is readable')
    const all = git(bare, 'rev-list', 'main').trim().split('\n')
    t.equal(all.length, 3)
    if (remote.objects.shallowCommits().size === 0) t.equal(await remote.deepen(100), false, 'a complete clone: false at once')
    else {
      let rounds = 0
      while (rounds < 5 && (await remote.deepen(100))) rounds++
      t.ok(rounds < 5, 'deepen comes to an end')
    }
    for (const oid of all) t.ok(await remote.objects.readCommit(oid), `${oid} is here`)
    t.equal(await remote.deepen(100), false, 'still false')
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
