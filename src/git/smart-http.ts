import { GitRemoteError } from '../core/errors.js'
import { redactUrl, type GitHttpClient } from './http-client.js'
import { decodePktLines, encodePktLine, FLUSH, FLUSH_PKT } from './pkt-line.js'
import { checkPushReport } from './push-report.js'

/**
 * The two smart-HTTP exchanges infra-sync does itself: ref discovery and a
 * receive-pack that sends exactly the objects it wrote. isomorphic-git's own
 * push walks the whole tree to find what to send, which grows with the repo.
 * The update names our base commit as the old value, so the server itself
 * refuses it if anyone pushed in between: never a force push.
 */
export const ZERO_OID = '0000000000000000000000000000000000000000'

export interface RemoteRefs {
  readonly refs: ReadonlyMap<string, string>
  readonly capabilities: ReadonlySet<string>
}

function serviceUrl(url: string, path: string): string {
  return `${url.replace(/\/+$/, '')}/${path}`
}

/** Our own credentials, as they could come back in a body: the header value and, for Basic, the password. */
function credentials(headers: Record<string, string>): string[] {
  const [scheme, value] = (headers.authorization ?? '').split(' ')
  if (!value) return []
  const out = [value]
  if (scheme === 'Basic') out.push(Buffer.from(value, 'base64').toString('utf8').split(':').slice(1).join(':'))
  return out.filter((s) => s.length >= 4)
}

/** The remote's own words about a refusal (GitHub: "Repository not found."): one short line, never our credentials. */
function remoteMessage(body: Buffer, headers: Record<string, string>): string | undefined {
  let text = body
    .subarray(0, 1024)
    .toString('utf8')
    .replace(/[\u0000-\u001f\u007f]+/g, ' ')
    .trim()
    .slice(0, 200)
  for (const secret of credentials(headers)) text = text.split(secret).join('[redacted]')
  return text || undefined
}

function statusError(url: string, status: number, what: string, body: Buffer, headers: Record<string, string>): GitRemoteError {
  // git follows redirects of info/refs only; a POST that is redirected would lose its body (and our intent).
  if (REDIRECTS.has(status)) return new GitRemoteError(`${what} ${redactUrl(url)}: HTTP ${status}, a redirect of a POST is not followed`, { status, url: redactUrl(url), reason: 'redirect' }, { retryable: false })
  // 4xx other than 408/429 will not heal by retrying (bad credentials, no such repo).
  const retryable = status >= 500 || status === 408 || status === 429
  const said = remoteMessage(body, headers)
  const cause = status === 401 ? ' authentication failed' : status === 403 ? ' forbidden' : status === 404 ? ' repository not found' : ''
  return new GitRemoteError(`${what} ${redactUrl(url)}: HTTP ${status}${cause}${said ? ` (the remote said: ${said})` : ''}`, { status, url: redactUrl(url), ...(said && { remoteMessage: said }) }, { retryable })
}

/** How many redirects of `info/refs` are followed, as git (curl's default in git is 20; a loop is found sooner). */
export const MAX_REDIRECTS = 5
const REDIRECTS = new Set([301, 302, 303, 307, 308])

/** Credentials go to the origin they were configured for (scheme, host and port), never to another one, as git. */
export function sameOrigin(a: string, b: string): boolean {
  const x = new URL(a)
  const y = new URL(b)
  return x.protocol === y.protocol && x.host === y.host
}

/**
 * GET info/refs, following redirects like git: the new base is what the
 * Location names minus its `/info/refs…` suffix, and every later request
 * goes there. The Authorization header is dropped once the redirect leaves
 * the origin it was meant for.
 */
async function getInfoRefs(client: GitHttpClient, url: string, headers: Record<string, string>, service: string, signal?: AbortSignal) {
  let base = url.replace(/\/+$/, '')
  let sendHeaders = headers
  for (let hops = 0; ; hops++) {
    const target = `${serviceUrl(base, 'info/refs')}?service=${service}`
    const res = await client.simple(target, 'GET', { ...sendHeaders, accept: '*/*' }, undefined, signal)
    if (!REDIRECTS.has(res.statusCode)) return { res, base, headers: sendHeaders }
    const location = res.headers.location
    if (hops >= MAX_REDIRECTS) {
      throw new GitRemoteError(`ref discovery ${redactUrl(url)}: more than ${MAX_REDIRECTS} redirects (a loop?)`, { url: redactUrl(url), reason: 'too-many-redirects' }, { retryable: false })
    }
    let next: URL
    try {
      next = new URL(location ?? '', target)
    } catch {
      throw new GitRemoteError(`ref discovery ${redactUrl(url)}: a redirect without a usable Location`, { url: redactUrl(url), reason: 'bad-redirect' }, { retryable: false })
    }
    if (!location || (next.protocol !== 'http:' && next.protocol !== 'https:')) {
      throw new GitRemoteError(`ref discovery ${redactUrl(url)}: redirected to a ${next.protocol} URL, only http(s) is followed`, { url: redactUrl(url), reason: 'bad-redirect' }, { retryable: false })
    }
    const i = next.pathname.indexOf('/info/refs')
    if (i < 0) {
      throw new GitRemoteError(`ref discovery ${redactUrl(url)}: redirected to ${redactUrl(next.href)}, which is not a repository's info/refs`, { url: redactUrl(url), reason: 'bad-redirect' }, { retryable: false })
    }
    next.pathname = next.pathname.slice(0, i)
    next.search = ''
    next.hash = ''
    const moved = next.href.replace(/\/+$/, '')
    if (!sameOrigin(base, moved)) {
      const { authorization: _dropped, ...rest } = sendHeaders
      sendHeaders = rest
    }
    base = moved
  }
}

export interface DiscoveredRefs extends RemoteRefs {
  /** The base URL after redirects: where the requests that follow go. */
  readonly url: string
}

export async function discoverRefs(client: GitHttpClient, url: string, headers: Record<string, string>, service: 'git-receive-pack' | 'git-upload-pack', signal?: AbortSignal): Promise<DiscoveredRefs> {
  const { res, base, headers: sent } = await getInfoRefs(client, url, headers, service, signal)
  if (res.statusCode !== 200) throw statusError(base, res.statusCode, 'ref discovery', res.body, sent)
  const dumb = () =>
    new GitRemoteError(
      `ref discovery ${redactUrl(base)}: the server speaks only dumb HTTP (no smart-HTTP advertisement); infra-sync needs a smart-HTTP git server (git http-backend or a forge)`,
      { url: redactUrl(base), reason: 'dumb-http' },
      { retryable: false },
    )
  if (!(res.headers['content-type'] ?? '').startsWith(`application/x-${service}-advertisement`)) throw dumb()
  const refs = new Map<string, string>()
  const capabilities = new Set<string>()
  let lines
  try {
    lines = decodePktLines(res.body)
  } catch {
    throw new GitRemoteError(`ref discovery ${redactUrl(base)}: malformed response`, { url: redactUrl(base) })
  }
  if (!lines.some((l) => l !== FLUSH && l.toString('utf8').startsWith('# service='))) throw dumb()
  let first = true
  for (const line of lines) {
    if (line === FLUSH) continue
    const text = line.toString('utf8').replace(/\n$/, '')
    if (text.startsWith('# service=')) continue
    const [head, caps] = text.split('\0')
    if (first && caps !== undefined) for (const c of caps.trim().split(' ')) if (c) capabilities.add(c)
    first = false
    const m = /^([0-9a-f]{40}) (.+)$/.exec(head ?? '')
    if (m && m[2] !== 'capabilities^{}') refs.set(m[2]!, m[1]!)
  }
  const format = [...capabilities].find((c) => c.startsWith('object-format='))?.slice('object-format='.length)
  if (format && format !== 'sha1') {
    throw new GitRemoteError(`ref discovery ${redactUrl(base)}: the repository uses object format ${format}; infra-sync reads only sha1 repositories`, { url: redactUrl(base), reason: format }, { retryable: false })
  }
  return { refs, capabilities, url: base }
}

export interface ReceivePackInput {
  readonly ref: string
  readonly oldOid: string
  readonly newOid: string
  readonly pack: Uint8Array
}

export async function receivePack(client: GitHttpClient, url: string, headers: Record<string, string>, input: ReceivePackInput, capabilities: ReadonlySet<string>, signal?: AbortSignal): Promise<void> {
  // quiet: no progress meters on the side-band, only what hooks and the server have to say.
  const want = ['report-status', 'side-band-64k', 'quiet'].filter((c) => capabilities.has(c))
  const command = `${input.oldOid} ${input.newOid} ${input.ref}\0${[...want, 'agent=infra-sync'].join(' ')}\n`
  const body = Buffer.concat([encodePktLine(command), FLUSH_PKT, Buffer.from(input.pack)])
  const res = await client.simple(
    serviceUrl(url, 'git-receive-pack'),
    'POST',
    { ...headers, 'content-type': 'application/x-git-receive-pack-request', accept: 'application/x-git-receive-pack-result' },
    body,
    signal,
  )
  if (res.statusCode !== 200) throw statusError(url, res.statusCode, 'push to', res.body, headers)
  if (!want.includes('report-status')) return
  checkPushReport({ body: res.body, ref: input.ref, sideBand: want.includes('side-band-64k'), where: redactUrl(url), secrets: credentials(headers) })
}

/**
 * Fetches the pack that brings `want` (an advertised tip) given that we have
 * `haves`: one stateless upload-pack exchange (protocol v1). Returns the raw
 * packfile, or null when the server had nothing to send.
 */
export async function uploadPack(client: GitHttpClient, url: string, headers: Record<string, string>, want: string, haves: readonly string[], capabilities: ReadonlySet<string>, signal?: AbortSignal): Promise<Buffer | null> {
  const caps = ['side-band-64k', 'ofs-delta', 'no-progress'].filter((c) => capabilities.has(c))
  const lines = [encodePktLine(`want ${want} ${[...caps, 'agent=infra-sync'].join(' ')}\n`), FLUSH_PKT, ...haves.map((h) => encodePktLine(`have ${h}\n`)), encodePktLine('done\n')]
  const res = await client.simple(
    serviceUrl(url, 'git-upload-pack'),
    'POST',
    { ...headers, 'content-type': 'application/x-git-upload-pack-request', accept: 'application/x-git-upload-pack-result' },
    Buffer.concat(lines),
    signal,
  )
  if (res.statusCode !== 200) throw statusError(url, res.statusCode, 'fetch from', res.body, headers)
  const body = res.body
  // Acknowledgements come first as plain pkt-lines (NAK, or ACK <oid>), then the pack.
  let i = 0
  for (;;) {
    if (i + 4 > body.length) throw new GitRemoteError(`fetch from ${redactUrl(url)}: the response ended before the pack`, {})
    const len = parseInt(body.toString('ascii', i, i + 4), 16)
    if (Number.isNaN(len) || len < 4) throw new GitRemoteError(`fetch from ${redactUrl(url)}: malformed response`, {})
    const text = body.toString('utf8', i + 4, i + len)
    if (!text.startsWith('NAK') && !text.startsWith('ACK ')) break
    i += len
  }
  if (!caps.includes('side-band-64k')) return body.subarray(i)
  const pack: Buffer[] = []
  for (const line of decodePktLines(body.subarray(i))) {
    if (line === FLUSH) continue
    if (line[0] === 1) pack.push(line.subarray(1))
    else if (line[0] === 3) throw new GitRemoteError(`fetch from ${redactUrl(url)}: remote error: ${line.subarray(1).toString('utf8').trim().slice(0, 200)}`, {})
  }
  const out = Buffer.concat(pack)
  return out.length === 0 ? null : out
}
