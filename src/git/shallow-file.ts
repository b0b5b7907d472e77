import fsp from 'node:fs/promises'
import path from 'node:path'

/**
 * `<gitdir>/shallow`, as git keeps it: the commits whose parents are not in
 * the clone, one id per line, sorted. git (log, fsck) and our own history
 * walkers read it to know where the local history stops on purpose.
 */
export async function readShallow(gitdir: string): Promise<string[]> {
  let text: string
  try {
    text = await fsp.readFile(path.join(gitdir, 'shallow'), 'utf8')
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw e
  }
  return text.split('\n').filter((l) => /^[0-9a-f]{40}$/.test(l))
}

/**
 * Applies a server's shallow-info (new boundary commits, and those whose
 * parents it now sent) and writes the file through `shallow.lock` as git
 * does; with no boundary left the file is removed: the clone is complete.
 */
export async function updateShallow(gitdir: string, shallow: readonly string[], unshallow: readonly string[]): Promise<string[]> {
  const before = await readShallow(gitdir)
  if (shallow.length === 0 && unshallow.length === 0) return before
  const gone = new Set(unshallow)
  const next = [...new Set([...before, ...shallow])].filter((oid) => !gone.has(oid)).sort()
  const file = path.join(gitdir, 'shallow')
  if (next.length === 0) {
    await fsp.rm(file, { force: true })
    return next
  }
  await fsp.writeFile(`${file}.lock`, next.map((oid) => `${oid}\n`).join(''))
  await fsp.rename(`${file}.lock`, file)
  return next
}
