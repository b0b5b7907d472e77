import fsp from 'node:fs/promises'
import path from 'node:path'
import git from 'isomorphic-git'
import { ConfigError, GitRemoteError, PushRejectedError } from '../core/errors.js'
import type { Logger } from '../core/logger.js'
import { gitFs, ObjectStore } from './object-store.js'
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

  private get refPath(): string {
    return path.join(this.gitdir, 'refs', 'heads', ...this.branch.split('/'))
  }

  /** Who holds our lock, kept in the repository so that any infra-sync using it can judge the lock. */
  private get ownerFile(): string {
    return `${path.join(this.gitdir, 'infra-sync', 'ref-locks', ...this.branch.split('/'))}.json`
  }

  async prepare(): Promise<void> {
    const { gitdir, bare } = await gitdirOf(this.repoPath)
    this.gitdir = gitdir
    this.objects = new ObjectStore(gitdir)
    if (!bare) {
      const head = await git.currentBranch({ fs: gitFs, gitdir, fullname: false }).catch(() => undefined)
      if (head === this.branch) {
        throw new ConfigError(`${this.repoPath} has ${this.branch} checked out; use a bare repository (git clone --bare) so its working tree is never out of step`, {
          repo: this.repoPath,
        })
      }
    }
  }

  async sync(): Promise<string | null> {
    try {
      return await git.resolveRef({ fs: gitFs, gitdir: this.gitdir, ref: `refs/heads/${this.branch}` })
    } catch (e) {
      if ((e as { code?: string }).code === 'NotFoundError') return null
      throw new GitRemoteError(`cannot read ${this.branch} in ${this.description}`, {}, { cause: e })
    }
  }

  async push(base: string | null, commit: WrittenCommit): Promise<void> {
    // Objects first, then the ref: the branch never points at a commit that is not all there.
    await this.objects.flush(commit.objects)
    const held = await takeRefLock(this.branch, this.refPath, commit.oid, this.ownerFile, {
      onStale: (stale) => this.opts.log?.warn({ ...stale, ref: this.branch }, `removed a stale lock on ${this.branch} (${stale.why === 'owner-gone' ? 'its owner is gone' : 'held too long'})`),
    })
    try {
      const current = await this.sync()
      if (current !== base) throw new PushRejectedError(`${this.branch} moved from ${base ?? 'nothing'} to ${current ?? 'nothing'}`, { ref: this.branch })
      this.opts.failpoint?.('ref-locked')
      await held.commit()
    } finally {
      await held.release()
    }
  }

  async close(): Promise<void> {}
}
