import fsp from 'node:fs/promises'
import path from 'node:path'
import git from 'isomorphic-git'
import { ConfigError, GitRemoteError, PushRejectedError } from '../core/errors.js'
import { gitFs, ObjectStore } from './object-store.js'
import type { Remote } from './remote.js'
import type { WrittenCommit } from './write-commit.js'

const STALE_LOCK_MS = 60_000

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
 */
export class LocalRemote implements Remote {
  gitdir = ''
  objects!: ObjectStore
  readonly description: string

  constructor(
    private readonly repoPath: string,
    readonly branch: string,
  ) {
    this.description = path.resolve(repoPath)
  }

  private get refPath(): string {
    return path.join(this.gitdir, 'refs', 'heads', ...this.branch.split('/'))
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
    const lock = `${this.refPath}.lock`
    await fsp.mkdir(path.dirname(lock), { recursive: true })
    let fh: fsp.FileHandle
    try {
      fh = await fsp.open(lock, 'wx')
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new GitRemoteError(`cannot lock ${this.branch}`, {}, { cause: e })
      const st = await fsp.stat(lock).catch(() => null)
      // A lock left by a crashed writer would block the branch forever; git leaves that to a human, a service cannot.
      if (st && Date.now() - st.mtimeMs > STALE_LOCK_MS) await fsp.rm(lock, { force: true })
      throw new PushRejectedError(`${this.branch} is being updated by someone else`, { ref: this.branch })
    }
    let renamed = false
    try {
      const current = await this.sync()
      if (current !== base) throw new PushRejectedError(`${this.branch} moved from ${base ?? 'nothing'} to ${current ?? 'nothing'}`, { ref: this.branch })
      await fh.writeFile(`${commit.oid}\n`)
      await fh.sync()
      await fh.close()
      await fsp.rename(lock, this.refPath)
      renamed = true
    } finally {
      if (!renamed) {
        await fh.close().catch(() => undefined)
        await fsp.rm(lock, { force: true })
      }
    }
  }

  async close(): Promise<void> {}
}
