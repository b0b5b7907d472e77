import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { silentLogger } from '../../src/core/logger.js'
import { LocalRemote } from '../../src/git/local-remote.js'
import { STALE_AFTER_MS } from '../../src/git/ref-lock.js'
import { writeCommit } from '../../src/git/write-commit.js'
import { commits, git, gitAsync, makeBareRepo } from '../helpers/git-cli.js'
import { tmpDir } from '../helpers/tmp.js'

const author = { name: 'infra-sync', email: 'infra-sync@localhost' }
const change = (remote: LocalRemote, parent: string, file: string, content: string, msg: string) =>
  writeCommit(remote.objects, { parent, files: new Map([[file, Buffer.from(content)]]), message: `${msg}\n`, author, when: new Date() })

t.test('moves the branch only from the expected base', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': '1\n' })
  const remote = new LocalRemote(bare, 'main')
  await remote.prepare()
  const head = (await remote.sync())!
  const c1 = await change(remote, head, 'a.txt', '2\n', 'one')
  await remote.push(head, c1)
  t.equal(await remote.sync(), c1.oid)
  const stale = await change(remote, head, 'a.txt', '3\n', 'stale')
  await t.rejects(remote.push(head, stale), { code: 'PUSH_REJECTED' })
  t.equal(git(bare, 'rev-parse', 'main').trim(), c1.oid, 'never forced')
  git(bare, 'fsck', '--strict')
  t.notOk(fs.existsSync(path.join(bare, 'refs/heads/main.lock')), 'no lock left behind')
})

t.test('a lock held by someone else is contention (REF_LOCKED), not a race; a lock held too long is cleared', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'a.txt': '1\n' })
  const warnings: object[] = []
  const remote = new LocalRemote(bare, 'main', { log: { ...silentLogger, warn: (o) => warnings.push(o) } })
  await remote.prepare()
  const head = (await remote.sync())!
  const lock = path.join(bare, 'refs/heads/main.lock')
  fs.writeFileSync(lock, 'x')
  const c1 = await change(remote, head, 'a.txt', '2\n', 'one')
  await t.rejects(remote.push(head, c1), { code: 'REF_LOCKED' })
  t.ok(fs.existsSync(lock), 'a fresh lock is respected')
  t.equal(git(bare, 'rev-parse', 'main').trim(), head)
  const old = new Date(Date.now() - STALE_AFTER_MS - 2000)
  fs.utimesSync(lock, old, old)
  await remote.push(head, c1)
  t.equal(git(bare, 'rev-parse', 'main').trim(), c1.oid, 'the stale lock was cleared and the push went through')
  t.match(warnings, [{ why: 'too-old', ref: 'main' }], 'the removal is logged')
  t.notOk(fs.existsSync(lock))
  t.same(fs.readdirSync(path.join(bare, 'infra-sync', 'ref-locks')), [], 'no owner record left behind')
  git(bare, 'fsck', '--strict')
})

t.test('races with git push into the same repository lose nothing', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, { 'ours.txt': '0\n', 'theirs.txt': '0\n' })
  const work = path.join(dir, 'human')
  git(dir, 'clone', '-q', bare, work)
  const remote = new LocalRemote(bare, 'main')
  await remote.prepare()
  let humanPushes = 0
  let stop = false
  // The human is a separate git process, running truly at the same time as our pushes.
  const human = (async () => {
    for (let i = 1; !stop && i < 200; i++) {
      fs.writeFileSync(path.join(work, 'theirs.txt'), `${i}\n`)
      await gitAsync(work, 'commit', '-q', '-am', `human ${i}`)
      for (;;) {
        try {
          await gitAsync(work, 'push', '-q', 'origin', 'main')
          humanPushes++
          break
        } catch {
          await gitAsync(work, 'pull', '-q', '--rebase', 'origin', 'main')
        }
      }
    }
  })()
  let ours = 0
  for (let i = 1; i <= 30; i++) {
    for (;;) {
      const head = (await remote.sync())!
      const c = await change(remote, head, 'ours.txt', `${i}\n`, `ours ${i}`)
      try {
        await remote.push(head, c)
        ours++
        break
      } catch (e) {
        if ((e as { code?: string }).code !== 'PUSH_REJECTED') throw e
      }
    }
  }
  stop = true
  await human
  const log = commits(bare)
  t.equal(log.filter((c) => c.subject.startsWith('ours ')).length, ours)
  t.equal(log.filter((c) => c.subject.startsWith('human ')).length, humanPushes, 'every human commit is in history')
  t.equal(git(bare, 'rev-list', '--merges', '--count', 'main').trim(), '0', 'linear')
  t.ok(humanPushes > 0, 'the human pushed while we did')
  t.equal(git(bare, 'show', 'main:ours.txt'), '30\n')
  git(bare, 'fsck', '--strict')
})

t.test('refuses a working copy with the branch checked out', async (t) => {
  const dir = tmpDir(t)
  git(dir, 'init', '-q', '-b', 'main')
  await t.rejects(new LocalRemote(dir, 'main').prepare(), { code: 'CONFIG_INVALID' })
  await t.rejects(new LocalRemote(path.join(dir, 'nope'), 'main').prepare(), { code: 'CONFIG_INVALID' })
})
