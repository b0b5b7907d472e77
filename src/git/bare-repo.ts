import fsp from 'node:fs/promises'
import path from 'node:path'

/**
 * The few repository plumbing steps infra-sync needs besides objects: create a
 * bare repository, read and write refs. Written the way git writes them, so
 * the git CLI works in the same gitdir (the CLI transport, an operator).
 */

const OID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/

/** A git config value, quoted: a URL may hold `#` or `;`, which would start a comment unquoted. */
function configValue(v: string): string {
  return `"${v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n').replace(/\t/g, '\\t')}"`
}

export interface InitBareRepoOptions {
  /** Written as `[remote "origin"]` with git's default fetch refspec. */
  readonly originUrl?: string
}

/**
 * Creates a bare repository whose HEAD names `branch`. HEAD is written last:
 * a gitdir with HEAD is a whole repository (git and prepare() both look for it).
 */
export async function initBareRepo(gitdir: string, branch: string, opts: InitBareRepoOptions = {}): Promise<void> {
  for (const dir of ['objects/info', 'objects/pack', 'refs/heads', 'refs/tags', 'info']) {
    await fsp.mkdir(path.join(gitdir, ...dir.split('/')), { recursive: true })
  }
  let config = '[core]\n\trepositoryformatversion = 0\n\tfilemode = true\n\tbare = true\n'
  if (opts.originUrl !== undefined) {
    config += `[remote "origin"]\n\turl = ${configValue(opts.originUrl)}\n\tfetch = +refs/heads/*:refs/remotes/origin/*\n`
  }
  await writeFileAtomic(path.join(gitdir, 'config'), config)
  await writeFileAtomic(path.join(gitdir, 'HEAD'), `ref: refs/heads/${branch}\n`)
}

async function writeFileAtomic(file: string, content: string): Promise<void> {
  const tmp = `${file}.tmp-${process.pid}-${Math.random().toString(36).slice(2)}`
  await fsp.writeFile(tmp, content)
  await fsp.rename(tmp, file)
}

async function readOrNull(file: string): Promise<string | null> {
  try {
    return await fsp.readFile(file, 'utf8')
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code
    // ENOTDIR: a ref whose folder is a file (refs/heads/a when asking for refs/heads/a/b).
    if (code === 'ENOENT' || code === 'ENOTDIR' || code === 'EISDIR') return null
    throw e
  }
}

/** The oid of `ref` in packed-refs, null when it is not there. */
async function packedRef(gitdir: string, ref: string): Promise<string | null> {
  const packed = await readOrNull(path.join(gitdir, 'packed-refs'))
  if (!packed) return null
  for (const line of packed.split('\n')) {
    // `#` is the header, `^` a peeled tag's target: neither names a ref.
    if (line.startsWith('#') || line.startsWith('^')) continue
    const space = line.indexOf(' ')
    if (space > 0 && line.slice(space + 1).trimEnd() === ref && OID.test(line.slice(0, space))) return line.slice(0, space)
  }
  return null
}

/**
 * Where a full ref name (`HEAD`, `refs/heads/main`) points: a loose ref over
 * packed-refs, as git reads them, symbolic refs followed. Null when absent
 * (including a HEAD naming a branch that has no commit yet).
 */
export async function resolveRef(gitdir: string, ref: string): Promise<string | null> {
  let name = ref
  // git follows at most 5 levels of symbolic refs.
  for (let depth = 0; depth < 5; depth++) {
    const loose = await readOrNull(path.join(gitdir, ...name.split('/')))
    if (loose === null) return packedRef(gitdir, name)
    const value = loose.trim()
    if (value.startsWith('ref:')) {
      name = value.slice(4).trim()
      continue
    }
    if (!OID.test(value)) throw new Error(`${name} in ${gitdir} holds no object id`)
    return value
  }
  throw new Error(`${ref} in ${gitdir}: symbolic refs nested too deep`)
}

/** The branch HEAD names (`main`), null when HEAD is detached or absent. */
export async function currentBranch(gitdir: string): Promise<string | null> {
  const head = (await readOrNull(path.join(gitdir, 'HEAD')))?.trim()
  if (!head?.startsWith('ref:')) return null
  const target = head.slice(4).trim()
  return target.startsWith('refs/heads/') ? target.slice('refs/heads/'.length) : null
}

/**
 * Sets a loose ref (temp file, then rename: a reader sees the old or the new
 * value, never a torn one). No lock: for a repository nobody else writes yet
 * (seeding); moving a shared branch goes through ref-lock.ts.
 */
export async function writeRef(gitdir: string, ref: string, oid: string): Promise<void> {
  if (!OID.test(oid)) throw new Error(`not an object id: ${oid}`)
  const file = path.join(gitdir, ...ref.split('/'))
  await fsp.mkdir(path.dirname(file), { recursive: true })
  await writeFileAtomic(file, `${oid}\n`)
}
