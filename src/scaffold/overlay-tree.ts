import type { TreeEntry, TreeSource } from '../projects/tree-source.js'

/**
 * A checkout as it would be with `files` added (checkout-relative paths):
 * validate reads the new folder before a byte of it is written, so a folder
 * that would not pass is never left behind.
 */
export class OverlayTree implements TreeSource {
  private readonly files = new Map<string, Uint8Array>()
  private readonly dirs = new Map<string, Map<string, TreeEntry['kind']>>()

  constructor(
    private readonly base: TreeSource,
    files: Iterable<{ readonly path: string; readonly bytes: Uint8Array }>,
  ) {
    for (const f of files) {
      this.files.set(f.path, f.bytes)
      const parts = f.path.split('/')
      for (let i = 0; i < parts.length; i++) {
        const dir = parts.slice(0, i).join('/')
        let entries = this.dirs.get(dir)
        if (!entries) this.dirs.set(dir, (entries = new Map()))
        entries.set(parts[i]!, i === parts.length - 1 ? 'blob' : 'tree')
      }
    }
  }

  async list(dir: string): Promise<readonly TreeEntry[] | null> {
    const added = this.dirs.get(dir)
    const listed = await this.base.list(dir)
    if (!added) return listed
    const out = new Map<string, TreeEntry>((listed ?? []).map((e) => [e.name, e]))
    // Ids of added entries only need to differ from what is there: nothing compares them across runs.
    for (const [name, kind] of added) out.set(name, { name, kind, oid: `added:${dir}/${name}` })
    return [...out.values()].sort((a, b) => Buffer.compare(Buffer.from(a.name), Buffer.from(b.name)))
  }

  read(path: string): Promise<Uint8Array | null> {
    const bytes = this.files.get(path)
    return bytes ? Promise.resolve(bytes) : this.base.read(path)
  }
}
