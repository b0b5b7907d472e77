import { ImageNotFoundError, ValidationError } from '../core/errors.js'
import type { EditorOptions, ImageEditor, OpenedImage } from './editor.js'
import { helmValues } from './helm-values.js'
import { kustomizeImages } from './kustomize-images.js'
import { manifests } from './manifests.js'
import { markers, openMarked } from './markers.js'

/**
 * Every manifest format infra-sync edits, in the order detection tries them:
 * a kustomization by its name, then marker comments (they say exactly what
 * they mean), then Helm values by name, then any YAML as manifests.
 * A new format is one file and one line here.
 */
export const EDITORS: readonly ImageEditor[] = [kustomizeImages, markers, helmValues, manifests]

export const FORMATS: readonly string[] = EDITORS.map((e) => e.format)
const BY_SHAPE = EDITORS.filter((e) => e !== markers)

export function editorByFormat(format: string): ImageEditor {
  const e = EDITORS.find((x) => x.format === format)
  if (!e) throw new ValidationError(`unknown format ${JSON.stringify(format)}; known: ${FORMATS.join(', ')}`, { format }, 'UNKNOWN_FORMAT')
  return e
}

/** The editor for a file: the explicit format if given, else detected from the path and, when given, the content. */
export function editorFor(path: string, format?: string, text?: string, candidates: readonly ImageEditor[] = EDITORS): ImageEditor {
  if (format) return editorByFormat(format)
  const e = candidates.find((x) => x.detect(path, text))
  if (!e) throw new ValidationError(`${path}: no editor knows this file; known formats: ${FORMATS.join(', ')}`, { path }, 'UNKNOWN_FORMAT')
  return e
}

/**
 * Opens `text` (the file at `path`) for `image`, the way the worker and
 * set-image both do. Most exact first: a `key` (Helm values, exactly there);
 * then markers for the image in the file, which say what they mean and so win
 * over any format's shape, a named format included; then, for a target with
 * Flux image policies, nothing more (only marked values are the policy's, as
 * in Flux); then the format named, or the one detected by shape.
 */
export function openImage(path: string, text: string, image: string, target: EditorOptions & { readonly format?: string | undefined } = {}): OpenedImage {
  const options: EditorOptions = { ...(target.key !== undefined && { key: target.key }), ...(target.imagePolicies && { imagePolicies: target.imagePolicies }) }
  if (target.key !== undefined) {
    if (target.format !== undefined && target.format !== helmValues.format) {
      throw new ValidationError(`${path}: a key (${target.key}) says where in Helm values the image is; it does not apply to the ${target.format} format`, { path, key: target.key, format: target.format }, 'INVALID_INPUT')
    }
    return naming(helmValues.open(text, image, path, options), path, image, target.key)
  }
  const marked = openMarked(text, image, path, options)
  if (marked) return marked
  // Markers for other images say nothing about this one: its file is detected by shape.
  const editor = (target.imagePolicies?.length ?? 0) > 0 ? markers : editorFor(path, target.format, text, BY_SHAPE)
  return naming(editor.open(text, image, path, options), path, image)
}

/** A file that does not set the image says which image, whichever format found nothing. */
function naming(opened: OpenedImage, path: string, image: string, key?: string): OpenedImage {
  if (opened.current !== null || opened.canAdd) return opened
  return {
    ...opened,
    set(change) {
      try {
        return opened.set(change)
      } catch (e) {
        if (!(e instanceof ImageNotFoundError) || e.data.image !== undefined) throw e
        throw new ImageNotFoundError(`${path}: ${key !== undefined ? `key ${key}: ` : ''}does not set ${image}`, { ...e.data, path, image, ...(key !== undefined && { key }) })
      }
    },
  }
}
