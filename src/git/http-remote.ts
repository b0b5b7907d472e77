import { createHash, randomBytes } from 'node:crypto'
import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { GitRemoteError, InfraSyncError, PushRefusedError, PushRejectedError } from '../core/errors.js'
import type { CredentialsProvider, GitCredentials } from '../forges/forge.js'
import { GitHttpClient, redactUrl } from './http-client.js'
import { initBareRepo } from './bare-repo.js'
import { ObjectStore } from './object-store.js'
import { indexPackFile } from './pack-indexer.js'
import { receivePackData } from './pack-sink.js'
import type { PktLineReader } from './pkt-line-reader.js'
import { fetchV2, lsRefs, offers, type V2Capabilities } from './protocol-v2.js'
import type { Remote } from './remote.js'
import { credentials as secretsOf } from './remote-status.js'
import { writePack } from './pack-writer.js'
import { assertBranchRef, assertRefPrefix } from './ref-name.js'
import { readShallow, updateShallow } from './shallow-file.js'
import { discoverRefs as discover, type DiscoveredRefs, receivePack, sameOrigin, ZERO_OID } from './smart-http.js'
import { uploadPackV0, type UploadPackResult } from './upload-pack.js'
import type { WrittenCommit } from './write-commit.js'

export interface HttpRemoteOptions {
  readonly url: string
  readonly branch: string
  /** Folder that holds local clones. */
  readonly clonesDir: string
  /** A fixed token (a PAT, tests); `credentials` wins when both are set. */
  readonly token?: string
  readonly username?: string
  /** Asked before every exchange, so a token the forge refreshes (a GitHub App's) is the one git uses. */
  readonly credentials?: CredentialsProvider
  readonly client?: GitHttpClient
  /** Where the client reads HTTP_PROXY, HTTPS_PROXY and NO_PROXY; process.env by default. */
  readonly env?: NodeJS.ProcessEnv
}

type Headers = Record<string, string>
/** How the server spoke at discovery: v2 (its advertisement) or v0 (its capabilities). */
type Server = { v2: V2Capabilities; v0?: undefined } | { v2?: undefined; v0: ReadonlySet<string> }

function basicAuth(c: GitCredentials): Headers {
  return { authorization: `Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` }
}

/** Folder name for a clone: readable and unique per URL, without credentials. */
export function cloneName(url: string): string {
  const clean = redactUrl(url)
  const u = new URL(clean)
  const slug = `${u.host}${u.pathname}`.replace(/\.git$/, '').replace(/[^A-Za-z0-9._-]+/g, '-').replace(/^-+|-+$/g, '')
  return `${slug.slice(0, 80)}-${createHash('sha256').update(clean).digest('hex').slice(0, 8)}.git`
}

/**
 * An infra repo behind smart HTTP(S): a bare clone under the data folder, shallow at first over v2,
 * fetched only when the remote head is not known locally (the pack streamed to disk and indexed
 * here), pushed with exactly the objects infra-sync wrote. The clone stays a valid git repository.
 */
export class HttpRemote implements Remote {
  readonly gitdir: string
  readonly branch: string
  readonly description: string
  /** Where requests go: the configured URL, or where a redirect of info/refs moved it (as git, for the rest of the process). */
  private url: string
  /** The configured URL: credentials are sent only to its origin. */
  private readonly origin: string
  private readonly client: GitHttpClient
  private readonly ownsClient: boolean
  private readonly fixedHeaders: Headers
  private readonly credentials: CredentialsProvider | undefined
  readonly objects: ObjectStore
  private receiveCaps: ReadonlySet<string> | undefined
  /** The server's v2 advertisement, kept while its commands succeed: a sync is then one ls-refs, no info/refs. */
  private v2: V2Capabilities | undefined

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
    this.origin = this.url
    this.branch = opts.branch
    this.description = redactUrl(this.url)
    this.gitdir = path.join(opts.clonesDir, cloneName(this.url))
    this.ownsClient = !opts.client
    this.client = opts.client ?? new GitHttpClient(opts.env ? { env: opts.env } : {})
    this.objects = new ObjectStore(this.gitdir)
    this.fixedHeaders = token ? basicAuth({ username: username ?? 'x-access-token', password: token }) : {}
    this.credentials = opts.credentials
  }

  /** The Authorization header of the moment: the provider's current credentials, or the fixed token. */
  private async authHeaders(): Promise<Headers> {
    // Redirected to another origin: git would not hand it our credentials, nor do we.
    if (!sameOrigin(this.url, this.origin)) return {}
    if (!this.credentials) return this.fixedHeaders
    let c: GitCredentials | null
    try {
      c = await this.credentials()
    } catch (e) {
      // No credentials is no remote: an outage of the remote, whatever failed behind the provider.
      const retryable = e instanceof InfraSyncError ? e.retryable : true
      throw new GitRemoteError(`no credentials for ${this.description}`, { cause: e instanceof InfraSyncError ? e.code : 'ERROR' }, { retryable, cause: e })
    }
    return c ? basicAuth(c) : {}
  }

  /**
   * One exchange with the credentials of the moment. A 401 with a provider:
   * the token may have expired in between, so the provider is asked again
   * (it refreshes) and the exchange tried once more; the server refused it
   * before doing anything, so repeating it is safe. A second 401 stands.
   */
  private async exchange<T>(fn: (headers: Headers) => Promise<T>): Promise<T> {
    try {
      return await fn(await this.authHeaders())
    } catch (e) {
      if (!this.credentials || !(e instanceof GitRemoteError) || e.data.status !== 401) throw e
    }
    return fn(await this.authHeaders())
  }

  /** Ref discovery; a redirect moves the base URL for every request that follows. Fetches offer v2, pushes stay v0. */
  private async discoverRefs(headers: Headers, service: 'git-receive-pack' | 'git-upload-pack'): Promise<DiscoveredRefs> {
    const found = await discover(this.client, this.url, headers, service, undefined, service === 'git-upload-pack')
    this.url = found.url
    return found
  }

  /** The refs under `prefix`, and how the server speaks (v2: only those refs cross the wire). A failure forgets the v2 advertisement. */
  private async upload(prefix: string, again = true): Promise<{ refs: ReadonlyMap<string, string>; server: Server }> {
    const cached = this.v2 !== undefined
    try {
      if (!this.v2) {
        const found = await this.exchange((h) => this.discoverRefs(h, 'git-upload-pack'))
        if (!found.v2) return { refs: found.refs, server: { v0: found.capabilities } }
        this.v2 = found.v2
      }
      const v2 = this.v2
      return { refs: await this.exchange((h) => lsRefs(this.client, this.url, h, v2, [prefix])), server: { v2 } }
    } catch (e) {
      this.v2 = undefined
      // A final answer to a request that skipped info/refs (a POST redirected after a rename): discovery decides, as it would have.
      if (cached && again && e instanceof InfraSyncError && !e.retryable) return this.upload(prefix, false)
      throw e
    }
  }

  async prepare(): Promise<void> {
    if (!fs.existsSync(path.join(this.gitdir, 'HEAD'))) {
      await initBareRepo(this.gitdir, this.branch, { originUrl: this.url })
    }
  }

  async sync(): Promise<string | null> {
    const ref = `refs/heads/${this.branch}`
    const { refs, server } = await this.upload(ref)
    const head = refs.get(ref) ?? null
    if (head === null || (await this.objects.has(head))) return head
    const have = await this.trackingHead()
    const shallow = await readShallow(this.gitdir)
    // A clone with no history starts shallow: the tip only; walkers deepen it when they need more.
    // Over v0 the clone is full, as before: shallow v0 needs a second stateless round, and every forge speaks v2.
    const first = have === null && shallow.length === 0 && server.v2 !== undefined && offers(server.v2, 'fetch', 'shallow')
    await this.fetch(server, head, have, shallow, first ? { depth: 1, relative: false } : undefined)
    if (!(await this.objects.has(head))) throw new GitRemoteError(`fetch from ${this.description}: ${head} still missing after the fetch`, {})
    await this.setTrackingHead(head)
    return head
  }

  /**
   * One upload-pack exchange (v2 when the server spoke it, else v0): the
   * pack streams to a temporary file, the shallow boundary is updated, then
   * the pack is indexed into the clone. New boundary commits are written
   * before the pack lands and old ones removed after, so no commit is ever
   * without its parents and without a `shallow` line (git would call the
   * clone corrupt, and a walker would think the history complete).
   * True when it brought something: objects, or parents of boundary commits.
   */
  private async fetch(server: Server, want: string, have: string | null, shallow: readonly string[], deepen?: { depth: number; relative: boolean }): Promise<boolean> {
    const packDir = path.join(this.gitdir, 'objects', 'pack')
    await fsp.mkdir(packDir, { recursive: true })
    const tmp = path.join(packDir, `tmp_pack_${randomBytes(6).toString('hex')}`)
    const haves = have ? [have] : []
    let result: UploadPackResult<number>
    try {
      result = await this.exchange((h) => {
        const sink = (reader: PktLineReader, sideBand: boolean) => receivePackData(reader, tmp, { sideBand, where: this.description, secrets: secretsOf(h) })
        if (server.v2) return fetchV2(this.client, this.url, h, server.v2, { want, haves, shallow, ...(deepen && { deepen }), thinPack: true }, (r) => sink(r, true))
        return uploadPackV0(this.client, this.url, h, want, haves, server.v0, { shallow, ...(deepen && { deepen }) }, sink)
      })
    } catch (e) {
      this.v2 = undefined
      await fsp.rm(tmp, { force: true })
      throw e
    }
    await updateShallow(this.gitdir, result.shallow, [])
    let objects = 0
    if (result.pack) {
      try {
        objects = (await indexPackFile(tmp, packDir, (oid) => this.objects.read(oid).catch(() => null))).oids.length
      } catch (e) {
        // The indexer's own errors say why (reason missing-base, bad-pack); anything else is wrapped.
        if (e instanceof GitRemoteError) throw e
        throw new GitRemoteError(`fetch from ${this.description}: the pack did not index (${(e as Error).message})`, {}, { cause: e })
      }
      this.objects.refreshPacks()
    }
    // Only once their parents are in the clone do commits leave the boundary.
    await updateShallow(this.gitdir, [], result.unshallow)
    return result.unshallow.length > 0 || objects > 0
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
    await this.send(`refs/heads/${this.branch}`, base, commit, 'discard')
    await this.setTrackingHead(commit.oid)
  }

  async listRefs(prefix: string): Promise<Map<string, string>> {
    assertRefPrefix(prefix)
    const { refs } = await this.upload(prefix)
    return new Map([...refs].filter(([name]) => name.startsWith(prefix) && !name.endsWith('^{}')))
  }

  async pushRef(ref: string, expected: string | null, commit: WrittenCommit): Promise<void> {
    // The branch's tracking ref is what sync() tells the server we have; another ref's push says nothing about it.
    // Refused or rejected, its objects are kept (on disk): the caller may lease the same commit again.
    await this.send(assertBranchRef(ref), expected, commit, 'keep')
  }

  /** One receive-pack: `ref` from `old` (the server refuses if it is elsewhere) to the commit, with exactly its objects. */
  private async send(ref: string, old: string | null, commit: WrittenCommit, onRefusal: 'discard' | 'keep'): Promise<void> {
    if (!this.receiveCaps) this.receiveCaps = (await this.exchange((h) => this.discoverRefs(h, 'git-receive-pack'))).capabilities
    const caps = this.receiveCaps
    const pack = await this.packOf(commit.objects)
    try {
      await this.exchange((h) => receivePack(this.client, this.url, h, { ref, oldOid: old ?? ZERO_OID, newOid: commit.oid, pack }, caps))
    } catch (e) {
      // The branch's commit, rejected or refused, is never pushed again (the worker re-plans). Unknown outcome: keep it, the remote may have it now.
      if (onRefusal === 'discard' && (e instanceof PushRejectedError || e instanceof PushRefusedError)) this.objects.discard(commit.objects)
      else await this.objects.flush(commit.objects)
      throw e
    }
    // After the push, off the path of the deploy: the local clone learns the objects it sent.
    await this.objects.flush(commit.objects)
  }

  /**
   * The pack of a commit's new objects. Two commits of one batch (the
   * branch's and a pull request's) can share an object, which the first push
   * has already written to disk: it is read back from there, not lost.
   */
  private async packOf(oids: readonly string[]): Promise<Buffer> {
    return writePack(await Promise.all([...new Set(oids)].map((oid) => this.objects.read(oid))))
  }

  /**
   * `commits` more commits behind the boundary, as `git fetch --deepen`
   * (deepen-relative: counted from the boundary, not from the tip). The tip
   * wanted is the one we track, so the history deepened is the one walked.
   * False when nothing lies behind: no boundary (a clone made over v0 is
   * full), or one a rewrite left off our history (kept, as git until gc).
   */
  async deepen(commits: number): Promise<boolean> {
    const shallow = await readShallow(this.gitdir)
    const have = await this.trackingHead()
    if (shallow.length === 0 || have === null) return false
    const { server } = await this.upload(`refs/heads/${this.branch}`)
    return this.fetch(server, have, have, shallow, { depth: Math.max(1, Math.floor(commits) || 1), relative: true })
  }

  async close(): Promise<void> {
    if (this.ownsClient) this.client.close()
  }
}
