import { ValidationError } from '../core/errors.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { helmValues } from './helm-values.js'
import { kustomizeImages } from './kustomize-images.js'
import { manifests } from './manifests.js'
import { markers } from './markers.js'

/**
 * Every manifest format infra-sync edits, in the order detection tries them:
 * a kustomization by its name, then marker comments (they say exactly what
 * they mean), then Helm values by name, then any YAML as manifests.
 * A new format is one file and one line here.
 */
export const EDITORS: readonly ImageEditor[] = [kustomizeImages, markers, helmValues, manifests]

export const FORMATS: readonly string[] = EDITORS.map((e) => e.format)

export function editorByFormat(format: string): ImageEditor {
  const e = EDITORS.find((x) => x.format === format)
  if (!e) throw new ValidationError(`unknown format ${JSON.stringify(format)}; known: ${FORMATS.join(', ')}`, { format }, 'UNKNOWN_FORMAT')
  return e
}

/** The editor for a file: the explicit format if given, else detected from the path and, when given, the content. */
export function editorFor(path: string, format?: string, text?: string): ImageEditor {
  if (format) return editorByFormat(format)
  const e = EDITORS.find((x) => x.detect(path, text))
  if (!e) throw new ValidationError(`no editor knows ${JSON.stringify(path)}; known formats: ${FORMATS.join(', ')}`, { path }, 'UNKNOWN_FORMAT')
  return e
}

/** Opens `text` (the file at `path`) for `image` with the editor its target names or its content calls for. */
export function openImage(path: string, text: string, image: string, target: EditorOptions & { readonly format?: string | undefined } = {}): OpenedImage {
  const options: EditorOptions = { ...(target.key !== undefined && { key: target.key }), ...(target.imagePolicies && { imagePolicies: target.imagePolicies }) }
  return editorFor(path, target.format, text).open(text, image, path, options)
}
