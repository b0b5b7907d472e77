import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import t from 'tap'
import { processStartTime, takeRefLock, type StaleLock } from '../../src/git/ref-lock.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * A ref lock whose recorded owner is gone is stale at once, however young;
 * one whose owner lives is respected until it is too old; a record never
 * speaks for a lock file other than the one it was written for.
 */
const OID = 'a'.repeat(40)

function setup(t: Parameters<Parameters<typeof t.test>[1]>[0]) {
  const dir = tmpDir(t)
  const refPath = path.join(dir, 'refs', 'heads', 'main')
  fs.mkdirSync(path.dirname(refPath), { recursive: true })
  fs.writeFileSync(refPath, `${'b'.repeat(40)}\n`)
  const ownerFile = path.join(dir, 'owners', 'main.json')
  fs.mkdirSync(path.dirname(ownerFile), { recursive: true })
  const stale: StaleLock[] = []
  const take = () => takeRefLock('main', refPath, OID, ownerFile, { onStale: (s) => stale.push(s) })
  /** A lock left by `pid` (started at `startTime`), as a killed infra-sync leaves it. */
  const leave = (pid: number, startTime: string | null, opts: { host?: string; otherFile?: boolean } = {}) => {
    fs.writeFileSync(`${refPath}.lock`, `${OID}\n`)
    const st = fs.statSync(`${refPath}.lock`)
    fs.writeFileSync(ownerFile, JSON.stringify({ pid, startTime, host: opts.host ?? os.hostname(), dev: st.dev, ino: opts.otherFile ? st.ino + 1 : st.ino }))
  }
  return { refPath, ownerFile, stale, take, leave }
}

// A process that has certainly ended: spawned, waited for and reaped.
const deadPid = () => spawnSync(process.execPath, ['-e', '0']).pid!

t.test('a lock whose owner process is gone is cleared at once, with a report', async (t) => {
  const { refPath, ownerFile, stale, take, leave } = setup(t)
  leave(deadPid(), '12345')
  const held = await take()
  t.match(stale, [{ why: 'owner-gone' }])
  t.ok(fs.existsSync(ownerFile), 'the new holder recorded itself')
  t.equal(JSON.parse(fs.readFileSync(ownerFile, 'utf8')).pid, process.pid)
  await held.commit()
  t.equal(fs.readFileSync(refPath, 'utf8'), `${OID}\n`)
  t.notOk(fs.existsSync(`${refPath}.lock`))
  t.notOk(fs.existsSync(ownerFile), 'the record goes with the lock')
})

t.test('a live owner is respected; its pid reused by another process is not', async (t) => {
  const { stale, take, leave } = setup(t)
  leave(process.pid, processStartTime(process.pid))
  await t.rejects(take(), { code: 'REF_LOCKED' })
  t.same(stale, [])
  // The same pid with another start time: a previous life of this pid (a container's pid 1 after a restart).
  leave(process.pid, '1')
  const held = await take()
  t.match(stale, [{ why: 'owner-gone' }])
  await held.release()
})

t.test('a record for another lock file, or from another host, proves nothing: the age rule decides', async (t) => {
  const { refPath, stale, take, leave } = setup(t)
  leave(deadPid(), null, { otherFile: true })
  await t.rejects(take(), { code: 'REF_LOCKED' }, 'the record is about some earlier lock')
  leave(deadPid(), null, { host: 'some-other-host' })
  await t.rejects(take(), { code: 'REF_LOCKED' }, 'a pid on another host cannot be checked from here')
  const old = new Date(Date.now() - 60_000)
  fs.utimesSync(`${refPath}.lock`, old, old)
  const held = await take()
  t.match(stale, [{ why: 'too-old' }])
  await held.release()
  t.notOk(fs.existsSync(`${refPath}.lock`), 'released without moving the ref')
  t.equal(fs.readFileSync(refPath, 'utf8'), `${'b'.repeat(40)}\n`)
})

t.test('a lock taken over as stale is not renamed by its slow first owner', async (t) => {
  const { refPath, take } = setup(t)
  const slow = await take()
  // Someone judged it too old and took it (as another infra-sync would after STALE_AFTER_MS).
  fs.rmSync(`${refPath}.lock`)
  fs.writeFileSync(`${refPath}.lock`, `${'c'.repeat(40)}\n`)
  await t.rejects(slow.commit(), { code: 'REF_LOCKED' })
  t.equal(fs.readFileSync(`${refPath}.lock`, 'utf8'), `${'c'.repeat(40)}\n`, "the new owner's lock is untouched")
  t.equal(fs.readFileSync(refPath, 'utf8'), `${'b'.repeat(40)}\n`, 'the ref did not move')
})

t.test('the start time is read for the process named, and only while it runs', async (t) => {
  t.match(processStartTime(process.pid), /^\d+$/)
  t.equal(processStartTime(deadPid()), null)
})
