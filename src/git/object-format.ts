import { createHash } from 'node:crypto'

/**
 * git's object formats, encoded and decoded here so that writing a commit is
 * a few hashes and buffers rather than a trip through a general library.
 */
export type ObjectType = 'blob' | 'tree' | 'commit' | 'tag'

export interface TreeItem {
  /** As git writes it: `100644`, `100755`, `120000`, `160000`, or `40000` for a tree. */
  readonly mode: string
  /** The name as text; for a name that is not UTF-8, only a label (see `raw`). */
  readonly path: string
  readonly oid: string
  readonly type: 'blob' | 'tree' | 'commit'
  /**
   * The name's bytes, present only when they are not the UTF-8 of `path`
   * (git names are bytes; a human's `notes-\351.txt` must be written back as
   * it was). Such an entry is never matched by a name given as text.
   */
  readonly raw?: Buffer
}

/** The bytes of an entry's name, as git stores them. */
export const nameBytes = (e: TreeItem): Buffer => e.raw ?? Buffer.from(e.path, 'utf8')

/** Whether an entry is the one named `name` (text): never true for a name that is not UTF-8. */
export const isNamed = (e: TreeItem, name: string): boolean => e.path === name && e.raw === undefined

export interface CommitData {
  readonly tree: string
  readonly parents: readonly string[]
  readonly author: string
  readonly committer: string
  readonly message: string
}

export function hashObject(type: ObjectType, content: Buffer): string {
  return createHash('sha1').update(`${type} ${content.length}\0`).update(content).digest('hex')
}

const typeOfMode = (mode: string): TreeItem['type'] => (mode === '40000' || mode === '040000' ? 'tree' : mode === '160000' ? 'commit' : 'blob')

/** Normalises a mode as read from any source to the form git writes (`40000`, not `040000`). */
export const normaliseMode = (mode: string) => (mode === '040000' ? '40000' : mode)

export function decodeTree(buf: Buffer): TreeItem[] {
  const out: TreeItem[] = []
  let i = 0
  while (i < buf.length) {
    const space = buf.indexOf(0x20, i)
    const nul = buf.indexOf(0, space)
    if (space < 0 || nul < 0 || nul + 21 > buf.length) throw new Error('malformed tree object')
    const mode = buf.toString('latin1', i, space)
    const path = buf.toString('utf8', space + 1, nul)
    const oid = buf.toString('hex', nul + 1, nul + 21)
    // A replacement character means the bytes may not round-trip through text: keep them (a copy, not a view that pins the tree).
    if (path.includes('\ufffd') && !Buffer.from(path, 'utf8').equals(buf.subarray(space + 1, nul))) {
      out.push({ mode, path, oid, type: typeOfMode(mode), raw: Buffer.from(buf.subarray(space + 1, nul)) })
    } else out.push({ mode, path, oid, type: typeOfMode(mode) })
    i = nul + 21
  }
  return out
}

const SLASH = Buffer.from('/')

/** git orders entries by name bytes, comparing a tree's name as if it ended in `/`. */
function sortKey(e: TreeItem): Buffer {
  const name = nameBytes(e)
  return e.type === 'tree' ? Buffer.concat([name, SLASH]) : name
}

/** `entries` in the order git writes them (and decodeTree reads them back). */
export function inGitOrder(entries: readonly TreeItem[]): TreeItem[] {
  return entries
    .map((e) => ({ e, k: sortKey(e) }))
    .sort((a, b) => Buffer.compare(a.k, b.k))
    .map((x) => x.e)
}

/**
 * Serialises a tree. `inOrder` says the entries are already in git's order
 * (a tree read back with only ids changed), which spares the sort: the
 * services/ tree of a large infra repo has tens of thousands of entries.
 */
export function encodeTree(entries: readonly TreeItem[], inOrder = false): Buffer {
  const list = inOrder ? entries : inGitOrder(entries)
  let size = 0
  for (const e of list) size += normaliseMode(e.mode).length + 1 + (e.raw ? e.raw.length : Buffer.byteLength(e.path, 'utf8')) + 1 + 20
  const out = Buffer.allocUnsafe(size)
  let at = 0
  for (const e of list) {
    at += out.write(normaliseMode(e.mode), at, 'latin1')
    out[at++] = 0x20
    at += e.raw ? e.raw.copy(out, at) : out.write(e.path, at, 'utf8')
    out[at++] = 0
    at += out.write(e.oid, at, 'hex')
  }
  return out
}

export function encodeCommit(c: CommitData): Buffer {
  const head = [`tree ${c.tree}`, ...c.parents.map((p) => `parent ${p}`), `author ${c.author}`, `committer ${c.committer}`]
  return Buffer.from(`${head.join('\n')}\n\n${c.message}`, 'utf8')
}

export function decodeCommit(buf: Buffer): CommitData {
  const text = buf.toString('utf8')
  const split = text.indexOf('\n\n')
  const header = split < 0 ? text : text.slice(0, split)
  const message = split < 0 ? '' : text.slice(split + 2)
  let tree = ''
  let author = ''
  let committer = ''
  const parents: string[] = []
  for (const line of header.split('\n')) {
    if (line.startsWith('tree ')) tree = line.slice(5)
    else if (line.startsWith('parent ')) parents.push(line.slice(7))
    else if (line.startsWith('author ')) author = line.slice(7)
    else if (line.startsWith('committer ')) committer = line.slice(10)
  }
  return { tree, parents, author, committer, message }
}

/** `Name <email> <unix seconds> +0000`, as git writes a person line. */
export function personLine(name: string, email: string, when: Date): string {
  const clean = (s: string) => s.replace(/[<>\n]/g, '')
  return `${clean(name)} <${clean(email)}> ${Math.floor(when.getTime() / 1000)} +0000`
}
