import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { descendsFrom } from '../../src/git/descends-from.js'
import { ObjectStore } from '../../src/git/object-store.js'
import { git } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * A history made with the git CLI:
 *
 *   seed ─ a ─ b ───────── merge ─ c ─ tip      (main)
 *               └─ side1 ─ side2 ┘              (side)
 *   orphan                                      (no parent, unrelated)
 */
function history(t: Test) {
  const dir = tmpDir(t)
  const work = path.join(dir, 'work')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  const commit = (name: string) => {
    fs.writeFileSync(path.join(work, `${name}.txt`), `${name}\n`)
    git(work, 'add', '-A')
    git(work, 'commit', '-q', '-m', name)
    return git(work, 'rev-parse', 'HEAD').trim()
  }
  const seed = commit('seed')
  const a = commit('a')
  const b = commit('b')
  git(work, 'checkout', '-q', '-b', 'side')
  const side1 = commit('side1')
  const side2 = commit('side2')
  git(work, 'checkout', '-q', 'main')
  commit('main-only')
  git(work, 'merge', '-q', '--no-ff', '-m', 'merge side', 'side')
  const merge = git(work, 'rev-parse', 'HEAD').trim()
  const c = commit('c')
  const tip = commit('tip')
  const orphan = git(work, 'commit-tree', `${seed}^{tree}`, '-m', 'orphan').trim()
  return { dir, gitdir: path.join(work, '.git'), seed, a, b, side1, side2, merge, c, tip, orphan }
}

t.test('a commit descends from itself and from every commit in its history, through either side of a merge', async (t) => {
  const h = history(t)
  const store = new ObjectStore(h.gitdir)
  t.equal(await descendsFrom(store, h.b, h.b), true, 'the base itself')
  t.equal(await descendsFrom(store, h.a, h.tip), true, 'several commits later, across the merge')
  t.equal(await descendsFrom(store, h.seed, h.tip), true, 'the root')
  t.equal(await descendsFrom(store, h.side1, h.tip), true, "through the merge's second parent")
  t.equal(await descendsFrom(store, h.merge, h.c), true, 'the merge commit itself as base')
})

t.test('an older or unrelated commit does not carry the base', async (t) => {
  const h = history(t)
  const store = new ObjectStore(h.gitdir)
  t.equal(await descendsFrom(store, h.tip, h.seed), false, 'older than the base')
  t.equal(await descendsFrom(store, h.side2, h.b), false, 'before the branch that has the base')
  t.equal(await descendsFrom(store, h.orphan, h.tip), false, 'an unrelated root')
  t.equal(await descendsFrom(store, h.a, h.orphan), false, 'from an unrelated root')
})

t.test('unknown: the revision is not in the clone, or the walk stops before deciding', async (t) => {
  const h = history(t)
  const store = new ObjectStore(h.gitdir)
  t.equal(await descendsFrom(store, h.a, 'f'.repeat(40)), 'unknown', 'a revision the clone lacks (fetch, then ask again)')
  t.equal(await descendsFrom(store, h.seed, h.tip, 2), 'unknown', 'a limit smaller than the distance')
  t.equal(await descendsFrom(store, h.seed, h.tip, 100), true, 'the same question with room to walk')

  const shallow = path.join(h.dir, 'shallow.git')
  git(h.dir, 'clone', '-q', '--bare', '--depth', '2', `file://${h.gitdir}`, shallow)
  const clone = new ObjectStore(shallow)
  t.equal(await descendsFrom(clone, h.seed, h.tip), 'unknown', 'the base lies past the shallow boundary')
  t.equal(await descendsFrom(clone, h.c, h.tip), true, 'inside the boundary it is decided')
})
