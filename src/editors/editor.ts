/** What an editor reads from and writes into a manifest for one image. */
export interface ImageValue {
  readonly tag?: string
  readonly digest?: string
}

export interface SetImage {
  /** The image as the user or service config names it (`nginx`, `ghcr.io/acme/app`); matched canonically. */
  readonly image: string
  readonly tag?: string
  readonly digest?: string
}

export interface EditResult {
  readonly text: string
  readonly changed: boolean
  /** The value before the edit; null when the file did not mention the image. */
  readonly before: ImageValue | null
  readonly after: ImageValue
}

/** A file parsed for one image: what it holds now, and how to set it from that same parse. */
export interface OpenedImage {
  readonly current: ImageValue | null
  set(value: { readonly tag?: string; readonly digest?: string }): EditResult
}

/**
 * One manifest format. Pure: text in, text out. `set` changes only the bytes
 * of the values it sets and must verify its own output before returning.
 */
export interface ImageEditor {
  readonly format: string
  /** Whether this editor handles the file by default, judged from its path. */
  detect(path: string): boolean
  /** Parses `text` once for `image`; read and set are this, for one-off use. */
  open(text: string, image: string, path?: string): OpenedImage
  read(text: string, image: string, path?: string): ImageValue | null
  set(text: string, change: SetImage, path?: string): EditResult
}

export function formatImageValue(v: ImageValue | null | undefined): string | undefined {
  if (!v || (!v.tag && !v.digest)) return undefined
  return v.tag && v.digest ? `${v.tag}@${v.digest}` : (v.tag ?? v.digest)
}
