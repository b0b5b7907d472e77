import { GitRemoteError } from '../core/errors.js'
import { redactUrl, type GitHttpClient, type StreamResponse } from './http-client.js'
import { encodePktLine, FLUSH_PKT } from './pkt-line.js'
import { PktLineReader } from './pkt-line-reader.js'
import { statusError } from './remote-status.js'

/** What a fetch brought: the shallow boundary's changes (v2 with deepen/shallow) and what the pack sink returned (null: no pack). */
export interface UploadPackResult<T> {
  readonly shallow: readonly string[]
  readonly unshallow: readonly string[]
  readonly pack: T | null
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

/**
 * Protocol v0/v1 upload-pack: one stateless exchange that brings `want` (an
 * advertised tip) given that we have `haves`. The acknowledgements (NAK,
 * ACK <oid>) are read here; `sink` gets the reader at the pack, which comes
 * in side-band lines when `sideBand`, else raw after the last line.
 * Shallow clones are a v2 feature here: over v0 the clone is full.
 */
export async function uploadPackV0<T>(
  client: GitHttpClient,
  url: string,
  headers: Record<string, string>,
  want: string,
  haves: readonly string[],
  capabilities: ReadonlySet<string>,
  sink: (reader: PktLineReader, sideBand: boolean) => Promise<T>,
  signal?: AbortSignal,
): Promise<UploadPackResult<T>> {
  const where = `fetch from ${redactUrl(url)}`
  // thin-pack: the indexer completes the pack from the clone's objects (index-pack --fix-thin).
  const caps = ['side-band-64k', 'ofs-delta', 'thin-pack', 'no-progress'].filter((c) => capabilities.has(c))
  const lines = [encodePktLine(`want ${want} ${[...caps, 'agent=git/2.0-infra-sync'].join(' ')}\n`), FLUSH_PKT, ...haves.map((h) => encodePktLine(`have ${h}\n`)), encodePktLine('done\n')]
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
  // With `done` and one want, the server answers one NAK or ACK, then the pack.
  const line = await reader.next()
  if (!Buffer.isBuffer(line)) throw new GitRemoteError(`${where}: the response ended before the pack`, { reason: 'malformed' })
  const text = line.toString('utf8')
  if (text.startsWith('ERR ')) throw new GitRemoteError(`${where}: remote error: ${text.slice(4, 204).trim()}`, { reason: 'remote-error' })
  if (!text.startsWith('NAK') && !text.startsWith('ACK ')) throw new GitRemoteError(`${where}: malformed response (no acknowledgement)`, { reason: 'malformed' })
  return { shallow: [], unshallow: [], pack: await sink(reader, caps.includes('side-band-64k')) }
}
