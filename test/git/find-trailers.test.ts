import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { findEventCommits } from '../../src/git/find-trailers.js'
import { ObjectStore } from '../../src/git/object-store.js'
import { git } from '../helpers/git-cli.js'
import { shallowClone } from '../helpers/shallow-clone.js'
import { tmpDir } from '../helpers/tmp.js'

/** base ← pushed (its trailer names ev-1) ← two human commits: the push is behind a depth-1 boundary. */
function history(t: Test) {
  const work = path.join(tmpDir(t), 'work')
  fs.mkdirSync(work)
  git(work, 'init', '-q', '-b', 'main')
  const commit = (message: string) => {
    git(work, 'commit', '-q', '--allow-empty', '-m', message)
    return git(work, 'rev-parse', 'HEAD').trim()
  }
  const base = commit('seed')
  const pushed = commit('deploy pay\n\nInfra-Sync-Event: ev-1\n')
  commit('human 1')
  const head = commit('human 2')
  return { work, base, pushed, head }
}

t.test('a pushed commit behind the shallow boundary is found after deepening', async (t) => {
  const h = history(t)
  const clone = shallowClone(h.work, tmpDir(t))
  const { found, complete } = await findEventCommits(new ObjectStore(clone.gitdir), h.head, h.base, new Set(['ev-1', 'ev-2']), 5000, clone.deepen)
  t.same([...found], [['ev-1', h.pushed]])
  t.equal(complete, true, 'every commit down to the base was read: ev-2 was not pushed')
  t.ok(clone.calls.length > 0)
})

t.test('history that cannot be fetched is not read as "not pushed"', async (t) => {
  const h = history(t)
  const clone = shallowClone(h.work, tmpDir(t))
  const store = new ObjectStore(clone.gitdir)
  const without = await findEventCommits(store, h.head, h.base, new Set(['ev-1']))
  t.same([without.found.size, without.complete], [0, false], 'no deepen')
  const refused = await findEventCommits(store, h.head, h.base, new Set(['ev-1']), 5000, async () => false)
  t.same([refused.found.size, refused.complete], [0, false], 'a deepen that answers false')
})

t.test('a complete history: not found means not pushed; the walk stops at the base', async (t) => {
  const h = history(t)
  const store = new ObjectStore(path.join(h.work, '.git'))
  const below = await findEventCommits(store, h.head, h.pushed, new Set(['ev-1']), 5000, async () => false)
  t.same([below.found.size, below.complete], [0, true], 'the pushed commit is the base: not looked at')
  const all = await findEventCommits(store, h.head, null, new Set(['ev-1']))
  t.same([...all.found], [['ev-1', h.pushed]])
})
