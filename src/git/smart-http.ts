import { GitRemoteError } from '../core/errors.js'
import { redactUrl, type GitHttpClient } from './http-client.js'
import { decodePktLines, encodePktLine, FLUSH, FLUSH_PKT } from './pkt-line.js'
import { GIT_PROTOCOL_V2, parseV2Advertisement, type V2Capabilities } from './protocol-v2.js'
import { checkPushReport } from './push-report.js'
import { credentials, REDIRECTS, statusError } from './remote-status.js'

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

/** How many redirects of `info/refs` are followed, as git (curl's default in git is 20; a loop is found sooner). */
export const MAX_REDIRECTS = 5

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
async function getInfoRefs(client: GitHttpClient, url: string, headers: Record<string, string>, service: string, signal: AbortSignal | undefined, v2: boolean) {
  let base = url.replace(/\/+$/, '')
  let sendHeaders = headers
  for (let hops = 0; ; hops++) {
    const target = `${serviceUrl(base, 'info/refs')}?service=${service}`
    const res = await client.simple(target, 'GET', { ...sendHeaders, accept: '*/*', ...(v2 && { 'git-protocol': GIT_PROTOCOL_V2 }) }, undefined, signal)
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
  /** Set when the server answered in protocol v2: `refs` is empty then, ls-refs asks for them. */
  readonly v2?: V2Capabilities
}

function sha256Error(base: string, format: string): GitRemoteError {
  return new GitRemoteError(`ref discovery ${redactUrl(base)}: the repository uses object format ${format}; infra-sync reads only sha1 repositories`, { url: redactUrl(base), reason: format }, { retryable: false })
}

/**
 * Ref discovery. With `v2`, the request offers protocol v2 (the Git-Protocol
 * header); a server that does not speak it ignores the header and answers
 * in v0, which is read as before.
 */
export async function discoverRefs(client: GitHttpClient, url: string, headers: Record<string, string>, service: 'git-receive-pack' | 'git-upload-pack', signal?: AbortSignal, v2 = false): Promise<DiscoveredRefs> {
  const { res, base, headers: sent } = await getInfoRefs(client, url, headers, service, signal, v2)
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
  const caps2 = v2 ? parseV2Advertisement(lines) : null
  if (caps2) {
    const format = caps2.get('object-format')
    if (format && format !== 'sha1') throw sha256Error(base, format)
    return { refs: new Map(), capabilities: new Set(), url: base, v2: caps2 }
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
  if (format && format !== 'sha1') throw sha256Error(base, format)
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
