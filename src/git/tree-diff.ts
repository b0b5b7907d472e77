import type { TreeItem } from './object-format.js'

/** One entry that differs between two trees: `after` null when it was removed, `before` null when added. */
export interface TreeChange {
  readonly name: string
  readonly before: TreeItem | null
  readonly after: TreeItem | null
}

const same = (a: TreeItem, b: TreeItem) => a.oid === b.oid && a.mode === b.mode

/**
 * The entries of a tree that changed from `before` to `after`, by name.
 * Entries whose names are not UTF-8 are not named by text, so they are left
 * out. A commit that only changes ids keeps every entry in place, so the
 * walk is one pass in step; an insertion or a removal falls back to a map.
 */
export function diffTrees(before: readonly TreeItem[], after: readonly TreeItem[]): TreeChange[] {
  const out: TreeChange[] = []
  if (before.length === after.length) {
    let i = 0
    for (; i < before.length; i++) {
      const a = before[i]!
      const b = after[i]!
      if (a.path !== b.path || a.raw !== undefined || b.raw !== undefined) break
      if (!same(a, b)) out.push({ name: a.path, before: a, after: b })
    }
    if (i === before.length) return out
    out.length = 0
  }
  const old = new Map<string, TreeItem>()
  for (const e of before) if (e.raw === undefined) old.set(e.path, e)
  for (const e of after) {
    if (e.raw !== undefined) continue
    const was = old.get(e.path)
    if (!was) out.push({ name: e.path, before: null, after: e })
    else if (!same(was, e)) out.push({ name: e.path, before: was, after: e })
    old.delete(e.path)
  }
  for (const e of old.values()) out.push({ name: e.path, before: e, after: null })
  return out
}
