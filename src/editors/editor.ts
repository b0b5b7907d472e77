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

/** Per-target settings from infra-sync.yaml (or the command line) that say where in a file the image is. */
export interface EditorOptions {
  /** A key path such as `api.image.tag` or `workers[0].image` (Helm values). */
  readonly key?: string
  /** Flux image policies (`namespace:name`) whose setter markers stand for this image. */
  readonly imagePolicies?: readonly string[]
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
  /** Whether `set` can add the image when the file does not mention it (kustomize can; the others cannot). */
  readonly canAdd: boolean
  /** Whether a line holding the image's value ends with `# infra-sync: pin`: events leave it alone. */
  readonly pinned: boolean
  set(value: { readonly tag?: string; readonly digest?: string }): EditResult
}

/**
 * One manifest format. Pure: text in, text out. `set` changes only the bytes
 * of the values it sets and must verify its own output before returning.
 */
export interface ImageEditor {
  readonly format: string
  /**
   * Whether this editor handles the file by default. Without `text` (listing a
   * folder) it answers whether it might; with it, whether it does.
   */
  detect(path: string, text?: string): boolean
  /** Parses `text` once for `image`; read and set are this, for one-off use. */
  open(text: string, image: string, path?: string, options?: EditorOptions): OpenedImage
  read(text: string, image: string, path?: string, options?: EditorOptions): ImageValue | null
  set(text: string, change: SetImage, path?: string, options?: EditorOptions): EditResult
}

export function formatImageValue(v: ImageValue | null | undefined): string | undefined {
  if (!v || (!v.tag && !v.digest)) return undefined
  return v.tag && v.digest ? `${v.tag}@${v.digest}` : (v.tag ?? v.digest)
}

/** The value after setting `change` over `before`: a new tag without a digest drops a stale digest, which would otherwise keep deploying the old image. */
export function nextValue(before: ImageValue | null, change: { readonly tag?: string; readonly digest?: string }): ImageValue {
  const tag = change.tag ?? before?.tag
  const digest = change.digest ?? (change.tag !== undefined ? undefined : before?.digest)
  return { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
}
