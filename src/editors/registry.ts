import { ValidationError } from '../core/errors.js'
import type { ImageEditor } from './editor.js'
import { kustomizeImages } from './kustomize-images.js'

/** Every manifest format infra-sync edits. A new format is one file and one line here. */
export const EDITORS: readonly ImageEditor[] = [kustomizeImages]

export function editorByFormat(format: string): ImageEditor {
  const e = EDITORS.find((x) => x.format === format)
  if (!e) throw new ValidationError(`unknown format ${JSON.stringify(format)}; known: ${EDITORS.map((x) => x.format).join(', ')}`, { format }, 'UNKNOWN_FORMAT')
  return e
}

/** The editor for a file: the explicit format if given, else detected from the path. */
export function editorFor(path: string, format?: string): ImageEditor {
  if (format) return editorByFormat(format)
  const e = EDITORS.find((x) => x.detect(path))
  if (!e) throw new ValidationError(`no editor knows ${JSON.stringify(path)}; known formats: ${EDITORS.map((x) => x.format).join(', ')}`, { path }, 'UNKNOWN_FORMAT')
  return e
}
