import { GitRemoteError } from '../core/errors.js'
import { redactUrl, type GitHttpClient, type StreamResponse } from './http-client.js'
import { encodePktLine, FLUSH, FLUSH_PKT } from './pkt-line.js'
import { PktLineReader } from './pkt-line-reader.js'
import { errLineError, statusError } from './remote-status.js'

/** What a fetch brought: the shallow boundary's changes (v2 with deepen/shallow) and what the pack sink returned (null: no pack). */
export interface UploadPackResult<T> {
  readonly shallow: readonly string[]
  readonly unshallow: readonly string[]
  readonly pack: T | null
}

/**
 * Reads what follows the last line we needed (nothing, from git) to the end
 * of the body: only a response read to its end gives its keep-alive socket
 * back to the agent. More than a little is not waited for: stopping early
 * destroys the response instead.
 */
export async function finish(reader: PktLineReader): Promise<void> {
  let extra = 0
  for await (const chunk of reader.rest()) if ((extra += chunk.length) > 65536) break
}

/**
 * A POST whose answer is read as it arrives. Anything but a 200 is read
 * whole (it is short: an error page) and becomes the typed error of a status.
 * `what` names the exchange in it ('fetch from'); `authHeaders` are the
 * credentials sent, so the error can never repeat them.
 */
export async function postStream(client: GitHttpClient, url: string, headers: Record<string, string>, body: Buffer, authHeaders: Record<string, string>, what: string, signal?: AbortSignal): Promise<StreamResponse> {
  const endpoint = `${url.replace(/\/+$/, '')}/git-upload-pack`
  const res = await client.stream(endpoint, 'POST', headers, body, signal)
  if (res.statusCode === 200) return res
  const chunks: Buffer[] = []
  let size = 0
  for await (const c of res.body) {
    if (size < 4096) chunks.push(c)
    size += c.length
  }
  throw statusError(url, res.statusCode, what, Buffer.concat(chunks), authHeaders)
}

/** The shallow part of a v0 request: our boundary, and how much to deepen it (git's --deepen: relative). */
export interface ShallowV0 {
  readonly shallow: readonly string[]
  readonly deepen?: { readonly depth: number; readonly relative: boolean }
}

/**
 * Protocol v0/v1 upload-pack: one stateless exchange that brings `want` (an
 * advertised tip) given that we have `haves`. The shallow-update (shallow,
 * unshallow lines) and the acknowledgements (NAK, ACK <oid>) are read here;
 * `sink` gets the reader at the pack, which comes in side-band lines when
 * `sideBand`, else raw after the last line. The boundary is sent when the
 * server knows `shallow`, so it never assumes we have what lies behind it.
 */
export async function uploadPackV0<T>(
  client: GitHttpClient,
  url: string,
  headers: Record<string, string>,
  want: string,
  haves: readonly string[],
  capabilities: ReadonlySet<string>,
  shallow: ShallowV0,
  sink: (reader: PktLineReader, sideBand: boolean) => Promise<T>,
  signal?: AbortSignal,
): Promise<UploadPackResult<T>> {
  const where = `fetch from ${redactUrl(url)}`
  const useShallow = capabilities.has('shallow') && (shallow.shallow.length > 0 || shallow.deepen !== undefined)
  const relative = useShallow && shallow.deepen?.relative === true
  if (shallow.deepen && (!capabilities.has('shallow') || (shallow.deepen.relative && !capabilities.has('deepen-relative')))) {
    throw new GitRemoteError(`${where}: the server cannot deepen a shallow clone`, { reason: 'no-shallow' }, { retryable: false })
  }
  // thin-pack: the indexer completes the pack from the clone's objects (index-pack --fix-thin).
  const caps = ['side-band-64k', 'ofs-delta', 'thin-pack', 'no-progress', ...(useShallow ? ['shallow'] : []), ...(relative ? ['deepen-relative'] : [])].filter((c) => capabilities.has(c))
  const lines = [
    encodePktLine(`want ${want} ${[...caps, 'agent=git/2.0-infra-sync'].join(' ')}\n`),
    ...(useShallow ? shallow.shallow.map((s) => encodePktLine(`shallow ${s}\n`)) : []),
    ...(useShallow && shallow.deepen ? [encodePktLine(`deepen ${shallow.deepen.depth}\n`)] : []),
    FLUSH_PKT,
    ...haves.map((h) => encodePktLine(`have ${h}\n`)),
    encodePktLine('done\n'),
  ]
  const res = await postStream(
    client,
    url,
    { ...headers, 'content-type': 'application/x-git-upload-pack-request', accept: 'application/x-git-upload-pack-result' },
    Buffer.concat(lines),
    headers,
    'fetch from',
    signal,
  )
  const reader = new PktLineReader(res.body, where)
  try {
    return await readV0Response(reader, where, headers, (r) => sink(r, caps.includes('side-band-64k')))
  } finally {
    await finish(reader).catch(() => undefined)
  }
}

/** A shallow-update ends with a flush; then, with `done` and one want, one NAK or ACK, then the pack. */
async function readV0Response<T>(reader: PktLineReader, where: string, headers: Record<string, string>, sink: (reader: PktLineReader) => Promise<T>): Promise<UploadPackResult<T>> {
  const update = { shallow: [] as string[], unshallow: [] as string[] }
  for (;;) {
    const line = await reader.next()
    if (line === FLUSH) continue
    if (!Buffer.isBuffer(line)) throw new GitRemoteError(`${where}: the response ended before the pack`, { reason: 'malformed' })
    const text = line.toString('utf8').replace(/\n$/, '')
    if (text.startsWith('ERR ')) throw errLineError(where, text, headers)
    const m = /^(shallow|unshallow) ([0-9a-f]{40})$/.exec(text)
    if (m) update[m[1] as 'shallow' | 'unshallow'].push(m[2]!)
    else if (text.startsWith('NAK') || text.startsWith('ACK ')) break
    else throw new GitRemoteError(`${where}: malformed response (no acknowledgement)`, { reason: 'malformed' })
  }
  return { ...update, pack: await sink(reader) }
}
