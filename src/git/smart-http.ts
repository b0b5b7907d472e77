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
  // 4xx other than 408/429 will not heal by retrying (bad credentials, no such repo).
  const retryable = status >= 500 || status === 408 || status === 429
  const said = remoteMessage(body, headers)
  return new GitRemoteError(`${what} ${redactUrl(url)}: HTTP ${status}${said ? ` (the remote said: ${said})` : ''}`, { status, url: redactUrl(url), ...(said && { remoteMessage: said }) }, { retryable })
}

export async function discoverRefs(client: GitHttpClient, url: string, headers: Record<string, string>, service: 'git-receive-pack' | 'git-upload-pack', signal?: AbortSignal): Promise<RemoteRefs> {
  const res = await client.simple(`${serviceUrl(url, 'info/refs')}?service=${service}`, 'GET', { ...headers, accept: '*/*' }, undefined, signal)
  if (res.statusCode !== 200) throw statusError(url, res.statusCode, 'ref discovery', res.body, headers)
  if (!(res.headers['content-type'] ?? '').startsWith(`application/x-${service}-advertisement`)) {
    throw new GitRemoteError(`ref discovery ${redactUrl(url)}: not a smart-HTTP git server`, { url: redactUrl(url) }, { retryable: false })
  }
  const refs = new Map<string, string>()
  const capabilities = new Set<string>()
  let lines
  try {
    lines = decodePktLines(res.body)
  } catch {
    throw new GitRemoteError(`ref discovery ${redactUrl(url)}: malformed response`, { url: redactUrl(url) })
  }
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
  return { refs, capabilities }
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
