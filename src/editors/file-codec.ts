import { YamlError } from '../core/errors.js'

/** Files larger than this are refused before they are parsed. */
export const MAX_FILE_BYTES = 1024 * 1024

// ignoreBOM keeps a byte-order mark in the text (TextDecoder drops it otherwise), so writing the text back keeps it too.
const fatalUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true })
const utf8 = new TextEncoder()

/**
 * Decodes file bytes, refusing invalid UTF-8 rather than silently replacing
 * bytes. A byte-order mark stays at the start of the text; the editors set it
 * aside and put it back. Every path that edits a file (worker, set-image, the
 * golden tests) decodes with this and encodes with encodeFile.
 */
export function decodeFile(bytes: Uint8Array, path = '<input>'): string {
  if (bytes.byteLength > MAX_FILE_BYTES) throw new YamlError('YAML_HOSTILE', `${path}: larger than ${MAX_FILE_BYTES} bytes`, { path })
  try {
    return fatalUtf8.decode(bytes)
  } catch {
    throw new YamlError('YAML_INVALID', `${path}: not valid UTF-8`, { path })
  }
}

/** The bytes of a text decodeFile produced (and an editor returned): a byte-order mark is written back. */
export function encodeFile(text: string): Uint8Array {
  return utf8.encode(text)
}
