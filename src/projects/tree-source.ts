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
}
