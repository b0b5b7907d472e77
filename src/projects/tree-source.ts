/** A read-only view of one snapshot of the infra repo. The git layer implements it; projects only read through it. */
export interface TreeEntry {
  readonly name: string
  readonly kind: 'tree' | 'blob' | 'symlink' | 'submodule'
  /** Content id; equal ids mean equal content, which is what makes caching by id safe. */
  readonly oid: string
}

export interface TreeSource {
  /** Entries of a directory (`''` is the root); null when it does not exist or is not a directory. */
  list(path: string): Promise<readonly TreeEntry[] | null>
  /** A regular file's bytes; null when missing. Throws UnsafePathError for symlinks and unsafe paths. */
  read(path: string): Promise<Uint8Array | null>
  /** The id of the directory at `path`; null when there is none. Optional: a source without it is read whole every time. */
  treeId?(path: string): Promise<string | null>
  /**
   * The entries of `path` that differ from the directory whose id was `since`
   * (`entry` null: gone). Null when `since` cannot be read: the caller reads
   * the directory whole instead.
   */
  changedSince?(path: string, since: string): Promise<readonly { readonly name: string; readonly entry: TreeEntry | null }[] | null>
}
