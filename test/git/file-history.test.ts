import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { committerTime, valueOrigins, type FileValueQuestion } from '../../src/git/file-history.js'
import { ObjectStore } from '../../src/git/object-store.js'
import { shallowClone } from '../helpers/shallow-clone.js'
import { tmpDir } from '../helpers/tmp.js'

/** When a file's value entered it, read from a history the real git CLI wrote, with chosen committer times. */
const FILE = 'services/pay/overlays/dev/kustomization.yaml'
const tagged = (tag: string, extra = '') => `${extra}images:\n- name: ghcr.io/acme/pay\n  newTag: ${tag}\n`
const hour = (h: number) => `2026-11-25T${String(h).padStart(2, '0')}:00:00Z`

function repo(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const dir = tmpDir(t)
  const run = (args: string[], when?: string) =>
    execFileSync('git', args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_AUTHOR_NAME: 'Human', GIT_AUTHOR_EMAIL: 'h@example.com', GIT_COMMITTER_NAME: 'Human', GIT_COMMITTER_EMAIL: 'h@example.com', ...(when && { GIT_AUTHOR_DATE: when, GIT_COMMITTER_DATE: when }) },
    }).trim()
  run(['init', '-q', '-b', 'main'])
  const commit = (files: Record<string, string | null>, when: string) => {
    for (const [p, text] of Object.entries(files)) {
      const full = path.join(dir, p)
      if (text === null) fs.rmSync(full)
      else {
        fs.mkdirSync(path.dirname(full), { recursive: true })
        fs.writeFileSync(full, text)
      }
    }
    run(['add', '-A'])
    run(['commit', '-q', '--allow-empty', '-m', `at ${when}`], when)
    return run(['rev-parse', 'HEAD'])
  }
  return { dir, run, commit, store: () => new ObjectStore(path.join(dir, '.git')) }
}

const holding = (tag: string, extra: Partial<FileValueQuestion> = {}): FileValueQuestion => ({
  path: FILE,
  holds: (bytes) => new RegExp(`newTag: ${tag}\\n`).test(Buffer.from(bytes).toString('utf8')),
  ...extra,
})

t.test('the commit that put the value there, past edits that kept it and commits that did not touch the file', async (t) => {
  const r = repo(t)
  r.commit({ [FILE]: tagged('main-seed') }, hour(1))
  const human = r.commit({ [FILE]: tagged('main-human') }, hour(2))
  r.commit({ [FILE]: tagged('main-human', '# replicas: 3\n') }, hour(3))
  const head = r.commit({ 'services/other/x.yaml': 'a: 1\n' }, hour(4))
  const [o] = await valueOrigins(r.store(), head, [holding('main-human')])
  t.same(o, { commit: human, committedAt: '2026-11-25T02:00:00.000Z', exact: true })
})

t.test('the root commit set it; a file absent at head has no origin; a file that was deleted and re-added dates from its return', async (t) => {
  const r = repo(t)
  const root = r.commit({ [FILE]: tagged('main-seed') }, hour(1))
  r.commit({ 'README.md': 'x\n' }, hour(2))
  const [seed, absent] = await valueOrigins(r.store(), r.run(['rev-parse', 'HEAD']), [holding('main-seed'), holding('x', { path: 'services/none/k.yaml' })])
  t.same(seed, { commit: root, committedAt: '2026-11-25T01:00:00.000Z', exact: true })
  t.equal(absent, null)
  r.commit({ [FILE]: null }, hour(3))
  const back = r.commit({ [FILE]: tagged('main-seed') }, hour(4))
  const [again] = await valueOrigins(r.store(), back, [holding('main-seed')])
  t.same(again, { commit: back, committedAt: '2026-11-25T04:00:00.000Z', exact: true })
})

t.test('a bounded walk stands in the oldest commit reached; notBefore stops early; questions share one walk', async (t) => {
  const r = repo(t)
  r.commit({ [FILE]: tagged('main-human') }, hour(1))
  let head = ''
  for (let h = 2; h <= 9; h++) head = r.commit({ 'services/other/x.yaml': `a: ${h}\n` }, hour(h))
  const store = r.store()
  const [bounded] = await valueOrigins(store, head, [holding('main-human')], 3)
  t.same(bounded && [bounded.committedAt, bounded.exact], ['2026-11-25T07:00:00.000Z', false], 'head (9:00) and two parents: 7:00 is the oldest reached')
  const [early, full] = await valueOrigins(store, head, [holding('main-human', { notBefore: Date.parse(hour(5)) + 1 }), holding('main-human')])
  t.same(early && [early.committedAt, early.exact], ['2026-11-25T05:00:00.000Z', false], 'the first commit older than every build in question')
  t.same(full && [full.committedAt, full.exact], ['2026-11-25T01:00:00.000Z', true])
})

t.test('first parent: a merged change dates from the merge', async (t) => {
  const r = repo(t)
  r.commit({ [FILE]: tagged('main-seed') }, hour(1))
  r.run(['checkout', '-q', '-b', 'topic'])
  r.commit({ [FILE]: tagged('main-human') }, hour(2))
  r.run(['checkout', '-q', 'main'])
  r.commit({ 'README.md': 'x\n' }, hour(3))
  r.run(['merge', '-q', '--no-ff', '-m', 'merge topic', 'topic'], hour(5))
  const merge = r.run(['rev-parse', 'HEAD'])
  const [o] = await valueOrigins(r.store(), merge, [holding('main-human')])
  t.same(o, { commit: merge, committedAt: '2026-11-25T05:00:00.000Z', exact: true })
})

t.test('committer time', async (t) => {
  t.equal(committerTime('A B <a@b> 1764064800 +0100'), 1764064800000)
  t.equal(committerTime('broken'), 0)
})

t.test('a shallow clone is deepened when the walk reaches its boundary, and the exact origin is found', async (t) => {
  const r = repo(t)
  r.commit({ [FILE]: tagged('main-seed') }, hour(1))
  const human = r.commit({ [FILE]: tagged('main-human') }, hour(2))
  let head = ''
  for (let h = 3; h <= 5; h++) head = r.commit({ 'services/other/x.yaml': `a: ${h}\n` }, hour(h))
  const clone = shallowClone(r.dir, tmpDir(t))
  const store = new ObjectStore(clone.gitdir)
  t.ok(store.isShallow(head), 'the clone holds the tip only')
  const [cut] = await valueOrigins(store, head, [holding('main-human')])
  t.same(cut && [cut.commit, cut.exact], [head, false], 'without deepen: at least as old as the tip')
  const [o] = await valueOrigins(store, head, [holding('main-human')], 500, clone.deepen)
  t.same(o, { commit: human, committedAt: '2026-11-25T02:00:00.000Z', exact: true })
  t.ok(clone.calls.length > 0 && clone.calls.every((n) => n >= 1 && n <= 100), 'deepened, by at most what the walk still needs')
  t.notOk(store.isShallow(head), 'the boundary moved')
})

t.test('a walk bounded by maxCommits deepens by no more than it still needs; the root is exact', async (t) => {
  const r = repo(t)
  const root = r.commit({ [FILE]: tagged('main-human') }, hour(1))
  const head = r.commit({ 'services/other/x.yaml': 'a: 2\n' }, hour(2))
  const clone = shallowClone(r.dir, tmpDir(t))
  const store = new ObjectStore(clone.gitdir)
  const [o] = await valueOrigins(store, head, [holding('main-human')], 2, clone.deepen)
  t.same(clone.calls, [1], 'a walk of 2 commits needs 1 more')
  t.same(o && [o.commit, o.exact], [root, true], 'the root holds it (git may list a root on the boundary: it has no parent to fetch)')
})
