import fs from 'node:fs'
import fsp from 'node:fs/promises'
import os from 'node:os'
import path from 'node:path'
import { GitRemoteError, RefLockedError } from '../core/errors.js'

/**
 * git's `<ref>.lock` protocol, with a way out of a lock a dead writer left.
 * git holds a ref lock for milliseconds and leaves a crashed writer's lock for
 * a human; a service cannot wait for one. A lock is stale when it is older
 * than STALE_AFTER_MS, or at once when the infra-sync process that recorded
 * itself as its owner is gone.
 */
export const STALE_AFTER_MS = 5_000

/** Who holds a lock: written beside the repository's refs while infra-sync holds one, removed before it lets go. */
interface OwnerRecord {
  readonly pid: number
  /** The process's start time as the kernel counts it (/proc), so a reused pid is not taken for the owner. */
  readonly startTime: string | null
  readonly host: string
  /** The lock file this record is about: a record never speaks for a lock someone else made later. */
  readonly dev: number
  readonly ino: number
}

export interface StaleLock {
  readonly lock: string
  readonly ageMs: number
  readonly why: 'owner-gone' | 'too-old'
  readonly owner?: { readonly pid: number; readonly host: string }
}

export interface RefLockOptions {
  /** Told when a stale lock is removed (the caller logs it). */
  readonly onStale?: (info: StaleLock) => void
  readonly now?: () => number
}

/** Field 22 of /proc/<pid>/stat (start time in clock ticks since boot); null where there is no /proc or no such process. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'latin1')
    // The command name (field 2) may hold spaces and parentheses: count from the last ')'.
    return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19] ?? null
  } catch {
    return null
  }
}

/** Whether the process that wrote `owner` has certainly ended. Unsure (another host, no /proc) is no. */
export function ownerGone(owner: OwnerRecord): boolean {
  if (owner.host !== os.hostname()) return false
  try {
    process.kill(owner.pid, 0)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ESRCH') return true
  }
  const start = processStartTime(owner.pid)
  return owner.startTime !== null && start !== null && start !== owner.startTime
}

async function readOwner(file: string): Promise<OwnerRecord | null> {
  try {
    const o = JSON.parse(await fsp.readFile(file, 'utf8')) as OwnerRecord
    return typeof o.pid === 'number' && typeof o.ino === 'number' ? o : null
  } catch {
    return null
  }
}

/** A lock this process holds: write the new value, then commit (rename over the ref) or release. */
export interface HeldLock {
  commit(): Promise<void>
  release(): Promise<void>
}

/**
 * Takes `<ref>.lock` with the new value in it, recording this process as its
 * owner in `ownerFile`. Throws RefLockedError while another writer holds it.
 */
export async function takeRefLock(ref: string, refPath: string, value: string, ownerFile: string, opts: RefLockOptions = {}): Promise<HeldLock> {
  const lock = `${refPath}.lock`
  const now = opts.now ?? Date.now
  await fsp.mkdir(path.dirname(lock), { recursive: true })
  let fh: fsp.FileHandle | undefined
  for (let cleared = false, rounds = 0; !fh; rounds++) {
    try {
      fh = await fsp.open(lock, 'wx')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new GitRemoteError(`cannot lock ${ref}`, {}, { cause: e })
      const verdict = cleared ? null : await judge(lock, ownerFile, now())
      if (verdict === 'gone' && rounds < 3) continue
      if (!verdict || verdict === 'gone') {
        const st = await fsp.stat(lock).catch(() => null)
        throw new RefLockedError(`${ref} is being updated by someone else`, { ref, ...(st && { ageMs: Math.max(0, Math.round(now() - st.mtimeMs)) }) })
      }
      await fsp.rm(ownerFile, { force: true })
      await fsp.rm(lock, { force: true })
      cleared = true
      opts.onStale?.(verdict)
    }
  }
  const held = fh
  let done = false
  let mine: fs.Stats
  try {
    mine = await held.stat()
  } catch (e) {
    await held.close().catch(() => undefined)
    await fsp.rm(lock, { force: true })
    throw new GitRemoteError(`cannot lock ${ref}`, {}, { cause: e })
  }
  const stillMine = async () => {
    const st = await fsp.stat(lock).catch(() => null)
    return st !== null && st.ino === mine.ino && st.dev === mine.dev
  }

  try {
    await held.writeFile(`${value}\n`)
    await held.sync()
    const owner: OwnerRecord = { pid: process.pid, startTime: processStartTime(process.pid), host: os.hostname(), dev: mine.dev, ino: mine.ino }
    await fsp.mkdir(path.dirname(ownerFile), { recursive: true })
    await fsp.writeFile(`${ownerFile}.tmp-${process.pid}`, JSON.stringify(owner))
    await fsp.rename(`${ownerFile}.tmp-${process.pid}`, ownerFile)
  } catch (e) {
    await release()
    throw new GitRemoteError(`cannot lock ${ref}`, {}, { cause: e })
  }

  // The record goes before the lock: a record left behind could speak for a lock someone makes later.
  // A lock taken over as stale (held past STALE_AFTER_MS) is its new owner's, record and all.
  async function release(): Promise<void> {
    if (done) return
    done = true
    await held.close().catch(() => undefined)
    if (!(await stillMine())) return
    await fsp.rm(ownerFile, { force: true })
    await fsp.rm(lock, { force: true })
  }

  return {
    async commit() {
      if (done) throw new Error('the lock was already let go')
      done = true
      await held.close()
      if (!(await stillMine())) throw new RefLockedError(`${ref}: our lock was taken over as stale before the update`, { ref })
      await fsp.rm(ownerFile, { force: true })
      try {
        await fsp.rename(lock, refPath)
      } catch (e) {
        await fsp.rm(lock, { force: true })
        throw new GitRemoteError(`cannot update ${ref}`, {}, { cause: e })
      }
    },
    release,
  }
}

/** Why the existing lock is stale, 'gone' when it went meanwhile, or null when it must be respected. */
async function judge(lock: string, ownerFile: string, now: number): Promise<StaleLock | 'gone' | null> {
  const st = await fsp.stat(lock).catch(() => null)
  if (!st) return 'gone'
  const ageMs = Math.max(0, Math.round(now - st.mtimeMs))
  const owner = await readOwner(ownerFile)
  if (owner && owner.ino === st.ino && owner.dev === st.dev && ownerGone(owner)) return { lock, ageMs, why: 'owner-gone', owner: { pid: owner.pid, host: owner.host } }
  if (ageMs > STALE_AFTER_MS) return { lock, ageMs, why: 'too-old', ...(owner && { owner: { pid: owner.pid, host: owner.host } }) }
  return null
}
