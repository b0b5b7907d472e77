import { openImage } from '../editors/registry.js'
import { decodeFile } from '../editors/file-codec.js'
import type { Remote } from '../git/remote.js'
import { GitSnapshot } from '../git/snapshot.js'
import { tagVersion } from '../policies/semver.js'
import { loadRegistry } from '../projects/registry.js'

/** An event that would bump the first service updated by commit: the start-up example's body. */
export async function exampleEvent(remote: Remote): Promise<Record<string, string> | null> {
  const head = await remote.sync()
  if (!head) return null
  const snapshot = await GitSnapshot.at(remote.objects, head)
  const registry = await loadRegistry(snapshot)
  for (const s of registry.services.values()) {
    const t = s.targets.find((x) => x.update === 'commit' && x.files.length === 1)
    if (!s.config || !t) continue
    const file = t.files[0]!
    const bytes = await snapshot.read(file)
    const current = bytes ? openImage(file, decodeFile(bytes), s.config.imageAsWritten, { ...t, imagePolicies: s.config.imagePolicies }).current : null
    const v = tagVersion(current?.tag)
    const tag = v ? `${v.major}.${v.minor}.${v.patch + 1}` : `example-${Date.now()}`
    return { source: s.config.source, image: s.config.image, tag, ref: 'refs/heads/main', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' }
  }
  return null
}
