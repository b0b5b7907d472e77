import { isMap, isScalar, isSeq, LineCounter, parseDocument } from 'yaml'
import { nearest } from '../core/schema-check.js'
import type { Position } from './yaml-positions.js'

const IMAGE_KEYS = ['name', 'newName', 'newTag', 'digest']

/**
 * Keys of a kustomization's `images:` entries that kustomize does not know
 * (`newtag`, `tag`): kustomize refuses the whole file, while the editor, which
 * reads only the keys it knows, would see an entry without a tag. Never
 * throws; text that does not parse gives nothing (the editor reports it).
 */
export function unknownImageKeys(text: string): { readonly key: string; readonly at: Position; readonly suggestion?: string }[] {
  const lines = new LineCounter()
  let images: unknown
  try {
    const doc = parseDocument(text, { lineCounter: lines, uniqueKeys: false })
    if (doc.errors.length > 0 || !isMap(doc.contents)) return []
    images = doc.contents.get('images', true)
  } catch {
    return []
  }
  if (!isSeq(images)) return []
  const out: { key: string; at: Position; suggestion?: string }[] = []
  for (const item of images.items) {
    if (!isMap(item)) continue
    for (const pair of item.items) {
      if (!isScalar(pair.key) || IMAGE_KEYS.includes(String(pair.key.value))) continue
      const key = String(pair.key.value)
      const p = lines.linePos(pair.key.range?.[0] ?? 0)
      const suggestion = nearest(key, IMAGE_KEYS)
      out.push({ key, at: { line: p.line, column: p.col }, ...(suggestion && { suggestion }) })
    }
  }
  return out
}
