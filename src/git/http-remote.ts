import { createHash } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import git from 'isomorphic-git'
import { GitRemoteError, PushRejectedError } from '../core/errors.js'
import { GitHttpClient, redactUrl } from './http-client.js'
import { gitFs, ObjectStore } from './object-store.js'
import type { Remote } from './remote.js'
import { indexPack } from './pack-indexer.js'
import { discoverRefs, receivePack, uploadPack, ZERO_OID } from './smart-http.js'
import type { WrittenCommit } from './write-commit.js'

export interface HttpRemoteOptions {
  readonly url: string
  readonly branch: string
  /** Folder that holds local clones. */
  readonly clonesDir: string
  readonly token?: string
  readonly username?: string
  readonly client?: GitHttpClient
}

/** Folder name for a clone: readable and unique per URL, without credentials. */
export function cloneName(url: string): string {
  const clean = redactUrl(url)
  const u = new URL(clean)
  const slug = `${u.host}${u.pathname}`.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${slug.slice(0, 80)}-${createHash('sha256').update(clean).digest('hex').slice(0, 8)}.git`
}

/**
 * An infra repo behind smart HTTP(S): a bare clone under the data folder,
 * fetched only when the remote head is not already known locally (one
 * upload-pack exchange, the pack indexed here), pushed with exactly the
 * objects infra-sync wrote. The clone stays a valid git repository.
 */
export class HttpRemote implements Remote {
  readonly gitdir: string
  readonly branch: string
  readonly description: string
  private readonly url: string
  private readonly client: GitHttpClient
  private readonly ownsClient: boolean
  private readonly headers: Record<string, string>
  readonly objects: ObjectStore
  private receiveCaps: ReadonlySet<string> | undefined

  constructor(opts: HttpRemoteOptions) {
    const u = new URL(opts.url)
    let username = opts.username
    let token = opts.token
    if (u.username || u.password) {
      // Credentials in the URL are honoured but moved out of it, so the URL can be logged and stored in the clone's config.
      username ??= decodeURIComponent(u.username) || undefined
      token ??= decodeURIComponent(u.password) || undefined
      u.username = ''
      u.password = ''
    }
    this.url = u.toString().replace(/\/+$/, '')
    this.branch = opts.branch
    this.description = redactUrl(this.url)
    this.gitdir = path.join(opts.clonesDir, cloneName(this.url))
    this.ownsClient = !opts.client
    this.client = opts.client ?? new GitHttpClient()
    this.objects = new ObjectStore(this.gitdir)
    this.headers = token ? { authorization: `Basic ${Buffer.from(`${username ?? 'x-access-token'}:${token}`).toString('base64')}` } : {}
  }

  async prepare(): Promise<void> {
    if (!fs.existsSync(path.join(this.gitdir, 'HEAD'))) {
      await fsp.mkdir(this.gitdir, { recursive: true })
      await git.init({ fs: gitFs, gitdir: this.gitdir, bare: true, defaultBranch: this.branch })
      await git.addRemote({ fs: gitFs, gitdir: this.gitdir, remote: 'origin', url: this.url, force: true })
    }
  }

  async sync(): Promise<string | null> {
    const { refs, capabilities } = await discoverRefs(this.client, this.url, this.headers, 'git-upload-pack')
    const head = refs.get(`refs/heads/${this.branch}`) ?? null
    if (head === null || (await this.objects.has(head))) return head
    const have = await this.trackingHead()
    const pack = await uploadPack(this.client, this.url, this.headers, head, have ? [have] : [], capabilities)
    if (pack) {
      const name = createHash('sha1').update(pack.subarray(0, pack.length - 20)).digest('hex')
      const dir = path.join(this.gitdir, 'objects', 'pack')
      await fsp.mkdir(dir, { recursive: true })
      const packPath = path.join(dir, `pack-${name}.pack`)
      await fsp.writeFile(`${packPath}.tmp`, pack)
      await fsp.rename(`${packPath}.tmp`, packPath)
      try {
        indexPack(packPath)
      } catch (e) {
        await fsp.rm(packPath, { force: true })
        throw new GitRemoteError(`fetch from ${this.description}: the pack did not index (${(e as Error).message})`, {})
      }
      this.objects.refreshPacks()
    }
    if (!(await this.objects.has(head))) throw new GitRemoteError(`fetch from ${this.description}: ${head} still missing after the fetch`, {})
    await this.setTrackingHead(head)
    return head
  }

  /** The remote head we last fetched or pushed, as git keeps it (refs/remotes/origin/<branch>): what we tell the server we have. */
  private async trackingHead(): Promise<string | null> {
    try {
      const oid = (await fsp.readFile(path.join(this.gitdir, 'refs', 'remotes', 'origin', ...this.branch.split('/')), 'utf8')).trim()
      return /^[0-9a-f]{40}$/.test(oid) && (await this.objects.has(oid)) ? oid : null
    } catch {
      return null
    }
  }

  private async setTrackingHead(oid: string): Promise<void> {
    const file = path.join(this.gitdir, 'refs', 'remotes', 'origin', ...this.branch.split('/'))
    await fsp.mkdir(path.dirname(file), { recursive: true })
    await fsp.writeFile(`${file}.tmp`, `${oid}\n`)
    await fsp.rename(`${file}.tmp`, file)
  }

  async push(base: string | null, commit: WrittenCommit): Promise<void> {
    if (!this.receiveCaps) this.receiveCaps = (await discoverRefs(this.client, this.url, this.headers, 'git-receive-pack')).capabilities
    const pack = this.objects.pack(commit.objects)
    try {
      await receivePack(this.client, this.url, this.headers, { ref: `refs/heads/${this.branch}`, oldOid: base ?? ZERO_OID, newOid: commit.oid, pack }, this.receiveCaps)
    } catch (e) {
      // Rejected: it will never be needed. Unknown outcome: keep it, the remote may have it now.
      if (e instanceof PushRejectedError) this.objects.discard(commit.objects)
      else await this.objects.flush(commit.objects)
      throw e
    }
    // After the push, off the path of the deploy: the local clone learns the objects it sent.
    await this.objects.flush(commit.objects)
    await this.setTrackingHead(commit.oid)
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.close()
  }
}
