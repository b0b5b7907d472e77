import { normaliseMode, type TreeItem } from './object-format.js'

/** A tree's bytes, and where in them each entry's id starts: enough to re-encode it with a few ids changed. */
export interface EncodedTree {
  readonly bytes: Buffer
  /** Offset of entry i's 20-byte id; computed on first use. */
  idAt?: Uint32Array
}

/** Trees smaller than this are cheaper to encode again than to keep twice. */
export const PATCHABLE_BYTES = 16 * 1024

function locateIds(bytes: Buffer, count: number): Uint32Array | null {
  const at = new Uint32Array(count)
  let i = 0
  for (let k = 0; k < count; k++) {
    const nul = bytes.indexOf(0, bytes.indexOf(0x20, i))
    if (nul < 0 || nul + 21 > bytes.length) return null
    at[k] = nul + 1
    i = nul + 21
  }
  return i === bytes.length ? at : null
}

/**
 * The bytes of `entries`, which are `before` with only the entries at
 * `changed` given other ids: a copy of the old
 * bytes with those patched, rather than an encoding of every entry. The
 * services/ tree of a large repo has an entry per folder and a deploy changes
 * one. Null when the change is not of that kind (the caller encodes whole).
 */
export function patchTree(base: EncodedTree, before: readonly TreeItem[], entries: readonly TreeItem[], changed: readonly number[]): EncodedTree | null {
  if (before.length !== entries.length) return null
  base.idAt ??= locateIds(base.bytes, before.length) ?? undefined
  const idAt = base.idAt
  if (!idAt) return null
  const bytes = Buffer.from(base.bytes)
  for (const i of changed) {
    const old = before[i]!
    const now = entries[i]!
    if (old.path !== now.path || old.raw !== undefined || now.raw !== undefined) return null
    if (normaliseMode(old.mode) !== normaliseMode(now.mode)) return null
    bytes.write(now.oid, idAt[i]!, 'hex')
  }
  return { bytes, idAt }
}
