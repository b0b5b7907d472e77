import fsp from 'node:fs/promises'
import path from 'node:path'
import { ConfigError, GitRemoteError, PushRefusedError, PushRejectedError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { currentBranch, resolveRef } from './bare-repo.js'
import { ObjectStore } from './object-store.js'
import { assertBranchRef, assertRefPrefix } from './ref-name.js'
import { takeRefLock } from './ref-lock.js'
import type { Remote } from './remote.js'
import type { WrittenCommit } from './write-commit.js'

export interface LocalRemoteOptions {
  /** Where a removed stale lock is reported. */
  readonly log?: Logger
  /** Crash tests: `ref-locked` fires while the branch's lock is held (see failpoints.ts). */
  readonly failpoint?: (name: string) => void
}

async function exists(p: string): Promise<boolean> {
  return fsp.access(p).then(
    () => true,
    () => false,
  )
}

/** The gitdir of a repository path: the path itself when bare, else its .git folder. */
export async function gitdirOf(repoPath: string): Promise<{ gitdir: string; bare: boolean }> {
  if ((await exists(path.join(repoPath, 'HEAD'))) && (await exists(path.join(repoPath, 'objects')))) return { gitdir: repoPath, bare: true }
  if (await exists(path.join(repoPath, '.git', 'HEAD'))) return { gitdir: path.join(repoPath, '.git'), bare: false }
  throw new ConfigError(`${repoPath} is not a git repository`, { repo: repoPath })
}

/**
 * A repository on this machine, used in place: objects go straight into it and
 * the branch moves by git's own lock-file protocol (`<ref>.lock`, created
 * exclusively, renamed over the ref), so a `git push` into the same repo at
 * the same moment is serialised with us exactly as git serialises two pushes.
 * A lock a dead writer left is cleared (see ref-lock.ts).
 */
export class LocalRemote implements Remote {
  gitdir = ''
  objects!: ObjectStore
  readonly description: string

  constructor(
    private readonly repoPath: string,
    readonly branch: string,
    private readonly opts: LocalRemoteOptions = {},
  ) {
    this.description = path.resolve(repoPath)
  }

  /** The loose file of refs/heads/<name>. */
  private refPath(ref: string): string {
    return path.join(this.gitdir, ...ref.split('/'))
  }

  /** Who holds a ref's lock, kept in the repository so that any infra-sync using it can judge the lock. */
  private ownerFile(ref: string): string {
    return `${path.join(this.gitdir, 'infra-sync', 'ref-locks', ...ref.slice('refs/heads/'.length).split('/'))}.json`
  }

  async prepare(): Promise<void> {
    const { gitdir, bare } = await gitdirOf(this.repoPath)
    this.gitdir = gitdir
    this.objects = new ObjectStore(gitdir)
    if (!bare) {
      const head = await currentBranch(gitdir).catch(() => null)
      if (head === this.branch) {
        throw new ConfigError(`${this.repoPath} has ${this.branch} checked out; use a bare repository (git clone --bare) so its working tree is never out of step`, {
          repo: this.repoPath,
        })
      }
    }
  }

  async sync(): Promise<string | null> {
    return this.current(`refs/heads/${this.branch}`)
  }

  /** Where a ref points now (loose or packed), null when it does not exist. */
  private async current(ref: string): Promise<string | null> {
    try {
      return await resolveRef(this.gitdir, ref)
    } catch (e) {
      throw new GitRemoteError(`cannot read ${ref} in ${this.description}`, {}, { cause: e })
    }
  }

  async push(base: string | null, commit: WrittenCommit): Promise<void> {
    await this.move(`refs/heads/${this.branch}`, base, commit)
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    assertRefPrefix(prefix)
    const out = new Map<string, string>()
    // Packed first, loose over them: a loose ref is the newer value, as git reads them.
    const packed = await fsp.readFile(path.join(this.gitdir, 'packed-refs'), 'utf8').catch(() => '')
    for (const line of packed.split('\n')) {
      const m = /^([0-9a-f]{40}) (\S+)$/.exec(line)
      if (m && m[2]!.startsWith(prefix)) out.set(m[2]!, m[1]!)
    }
    // Walk the deepest folder every listed ref must be under.
    const dir = prefix.slice(0, prefix.lastIndexOf('/'))
    const walk = async (rel: string): Promise<void> => {
      const entries = await fsp.readdir(path.join(this.gitdir, ...rel.split('/')), { withFileTypes: true }).catch(() => [])
      for (const e of entries) {
        const name = `${rel}/${e.name}`
        if (e.isDirectory()) {
          if (name.startsWith(prefix) || prefix.startsWith(`${name}/`)) await walk(name)
        } else if (e.isFile() && name.startsWith(prefix) && !name.endsWith('.lock')) {
          const oid = (await fsp.readFile(path.join(this.gitdir, ...name.split('/')), 'utf8').catch(() => '')).trim()
          if (/^[0-9a-f]{40}$/.test(oid)) out.set(name, oid)
        }
      }
    }
    await walk(dir)
    return out
  }

  async pushRef(ref: string, expected: string | null, commit: WrittenCommit): Promise<void> {
    assertBranchRef(ref)
    // refs/heads/a and refs/heads/a/b cannot both exist (one would be a file, the other a folder): git refuses that, and so do we, for good.
    for (const name of (await this.listRefs('refs/heads/')).keys()) {
      if (name.startsWith(`${ref}/`) || ref.startsWith(`${name}/`)) {
        throw new PushRefusedError(`${ref} cannot be created beside ${name}`, { ref, reason: `${name} exists` })
      }
    }
    await this.move(ref, expected, commit)
  }

  /** Moves `ref` from `expected` to the commit under git's lock on it: a lease, never a force. */
  private async move(ref: string, expected: string | null, commit: WrittenCommit): Promise<void> {
    // Objects first, then the ref: a ref never points at a commit that is not all there.
    await this.objects.flush(commit.objects)
    const name = ref.slice('refs/heads/'.length)
    const held = await takeRefLock(name, this.refPath(ref), commit.oid, this.ownerFile(ref), {
      onStale: (stale) => this.opts.log?.warn({ ...stale, ref: name }, `removed a stale lock on ${name} (${stale.why === 'owner-gone' ? 'its owner is gone' : 'held too long'})`),
    })
    try {
      const current = await this.current(ref)
      if (current !== expected) throw new PushRejectedError(`${name} moved from ${expected ?? 'nothing'} to ${current ?? 'nothing'}`, { ref })
      if (name === this.branch) this.opts.failpoint?.('ref-locked')
      await held.commit()
    } finally {
      await held.release()
    }
  }

  /** Used in place: the whole history is always here. */
  async deepen(_commits: number): Promise<boolean> {
    return false
  }

  async close(): Promise<void> {}
}
