import { GitRemoteError } from '../core/errors.js'
import type { GitHttpClient } from './http-client.js'
import { redactUrl } from './http-client.js'
import { encodePktLine, FLUSH, FLUSH_PKT, type PktLine } from './pkt-line.js'
import { DELIM, PktLineReader } from './pkt-line-reader.js'
import { errLineError } from './remote-status.js'
import { finish, postStream, type UploadPackResult } from './upload-pack.js'

/**
 * Protocol v2 over smart HTTP (gitprotocol-v2): the capability advertisement
 * of info/refs, then one POST per command. `ls-refs` names the refs we want
 * by prefix, so a forge's thousands of refs/pull/* never cross the wire;
 * `fetch` brings one tip, with `deepen` for a shallow first clone.
 */
export const GIT_PROTOCOL_V2 = 'version=2'

const DELIM_PKT = Buffer.from('0001', 'ascii')
const AGENT = 'agent=git/2.0-infra-sync'

/** The advertisement after `version 2`: command or capability → its value ('' when it has none). */
export type V2Capabilities = ReadonlyMap<string, string>

/** Reads the advertisement; null when the lines are not a v2 one (the server answered in v0). */
export function parseV2Advertisement(lines: readonly PktLine[]): V2Capabilities | null {
  const text = lines.filter((l): l is Buffer => l !== FLUSH).map((l) => l.toString('utf8').replace(/\n$/, ''))
  // git http-backend omits the `# service=` preamble in v2; some servers keep it.
  const start = text[0]?.startsWith('# service=') ? 1 : 0
  if (text[start] !== 'version 2') return null
  const caps = new Map<string, string>()
  for (const line of text.slice(start + 1)) {
    const i = line.indexOf('=')
    caps.set(i < 0 ? line : line.slice(0, i), i < 0 ? '' : line.slice(i + 1))
  }
  return caps
}

/** Whether `command` is offered with `feature` (e.g. fetch=shallow). */
export function offers(caps: V2Capabilities, command: string, feature: string): boolean {
  return (caps.get(command) ?? '').split(' ').includes(feature)
}

function request(command: string, caps: V2Capabilities, args: readonly string[]): Buffer {
  const head = [`command=${command}\n`, `${AGENT}\n`]
  // object-format is sent only when advertised: an old server would refuse a capability it does not know.
  if (caps.has('object-format')) head.push(`object-format=${caps.get('object-format')}\n`)
  return Buffer.concat([...head.map((l) => encodePktLine(l)), DELIM_PKT, ...args.map((a) => encodePktLine(`${a}\n`)), FLUSH_PKT])
}

function v2Headers(headers: Record<string, string>): Record<string, string> {
  return { ...headers, 'git-protocol': GIT_PROTOCOL_V2, 'content-type': 'application/x-git-upload-pack-request', accept: 'application/x-git-upload-pack-result' }
}

/** `ls-refs` for the refs under `prefixes`: name → oid (symrefs and peeled values are not asked for). */
export async function lsRefs(client: GitHttpClient, url: string, headers: Record<string, string>, caps: V2Capabilities, prefixes: readonly string[], signal?: AbortSignal): Promise<Map<string, string>> {
  const where = `ls-refs ${redactUrl(url)}`
  const res = await postStream(client, url, v2Headers(headers), request('ls-refs', caps, prefixes.map((p) => `ref-prefix ${p}`)), headers, 'ls-refs', signal)
  const reader = new PktLineReader(res.body, where)
  const refs = new Map<string, string>()
  try {
    for (;;) {
      const line = await reader.next()
      if (line === FLUSH) return refs
      if (!Buffer.isBuffer(line)) throw new GitRemoteError(`${where}: malformed response (no flush)`, { reason: 'malformed' })
      const text = line.toString('utf8').replace(/\n$/, '')
      if (text.startsWith('ERR ')) throw errLineError(where, text, headers)
      const m = /^([0-9a-f]{40}) (\S+)/.exec(text)
      if (!m) throw new GitRemoteError(`${where}: malformed response (a ref line)`, { reason: 'malformed' })
      refs.set(m[2]!, m[1]!)
    }
  } finally {
    await finish(reader).catch(() => undefined)
  }
}

export interface FetchV2Input {
  readonly want: string
  readonly haves: readonly string[]
  /** The local shallow boundary: the server must not assume we have what lies behind it. */
  readonly shallow: readonly string[]
  /** `deepen <n>`; with `relative`, counted from the boundary (git's --deepen) rather than from the want (--depth). */
  readonly deepen?: { readonly depth: number; readonly relative: boolean }
  /** Asks for a thin pack (deltas against objects we have): the indexer completes it from the clone. */
  readonly thinPack: boolean
}

/**
 * One `fetch` with `done` (no negotiation rounds: stateless HTTP, and the
 * haves are the one tip we track). Sections before the pack are read here;
 * `sink` gets the reader at the first line of the side-band pack.
 */
export async function fetchV2<T>(
  client: GitHttpClient,
  url: string,
  headers: Record<string, string>,
  caps: V2Capabilities,
  input: FetchV2Input,
  sink: (reader: PktLineReader) => Promise<T>,
  signal?: AbortSignal,
): Promise<UploadPackResult<T>> {
  const where = `fetch from ${redactUrl(url)}`
  const canShallow = offers(caps, 'fetch', 'shallow')
  if (input.deepen && !canShallow) throw new GitRemoteError(`${where}: the server cannot deepen a shallow clone`, { reason: 'no-shallow' }, { retryable: false })
  const args = [...(input.thinPack ? ['thin-pack'] : []), 'ofs-delta', 'no-progress', `want ${input.want}`, ...input.haves.map((h) => `have ${h}`), ...(canShallow ? input.shallow.map((s) => `shallow ${s}`) : [])]
  if (input.deepen) args.push(`deepen ${input.deepen.depth}`, ...(input.deepen.relative ? ['deepen-relative'] : []))
  args.push('done')
  const res = await postStream(client, url, v2Headers(headers), request('fetch', caps, args), headers, 'fetch from', signal)
  const reader = new PktLineReader(res.body, where)
  try {
    return await readFetchResponse(reader, where, headers, sink)
  } finally {
    await finish(reader).catch(() => undefined)
  }
}

/** The sections of a fetch response, up to the pack, which goes to `sink`. */
async function readFetchResponse<T>(reader: PktLineReader, where: string, headers: Record<string, string>, sink: (reader: PktLineReader) => Promise<T>): Promise<UploadPackResult<T>> {
  const shallow: string[] = []
  const unshallow: string[] = []
  const malformed = (what: string) => new GitRemoteError(`${where}: malformed response (${what})`, { reason: 'malformed' })
  for (;;) {
    const header = await reader.next()
    if (header === null || header === FLUSH) return { shallow, unshallow, pack: null }
    if (!Buffer.isBuffer(header)) throw malformed('a section without a name')
    const section = header.toString('utf8').replace(/\n$/, '')
    if (section.startsWith('ERR ')) throw errLineError(where, section, headers)
    if (section === 'packfile') return { shallow, unshallow, pack: await sink(reader) }
    // acknowledgments, shallow-info, wanted-refs: lines up to a delimiter (or a flush that ends the response).
    for (;;) {
      const line = await reader.next()
      if (line === DELIM) break
      if (line === FLUSH || line === null) return { shallow, unshallow, pack: null }
      if (!Buffer.isBuffer(line)) throw malformed(`in ${section}`)
      const text = line.toString('utf8').replace(/\n$/, '')
      if (text.startsWith('ERR ')) throw errLineError(where, text, headers)
      if (section !== 'shallow-info') continue
      const m = /^(shallow|unshallow) ([0-9a-f]{40})$/.exec(text)
      if (!m) throw malformed('a shallow-info line')
      ;(m[1] === 'shallow' ? shallow : unshallow).push(m[2]!)
    }
  }
}
