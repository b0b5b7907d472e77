import fs from 'node:fs'
import fsp from 'node:fs/promises'
import path from 'node:path'
import { initBareRepo, writeRef } from './bare-repo.js'
import { ObjectStore } from './object-store.js'
import { writeCommit, type Person } from './write-commit.js'

export interface SeedSource {
  /** A folder on disk. */
  readonly from: string
  /** Where its content goes in the repo (`services`, `argocd`). */
  readonly to: string
}

async function walk(dir: string, prefix: string, out: Map<string, Uint8Array>): Promise<void> {
  for (const e of await fsp.readdir(dir, { withFileTypes: true })) {
    const full = path.join(dir, e.name)
    if (e.isDirectory()) await walk(full, `${prefix}${e.name}/`, out)
    else if (e.isFile()) out.set(`${prefix}${e.name}`, await fsp.readFile(full))
  }
}

/**
 * Creates a bare repository whose first commit holds the given folders. Used
 * once, for the embedded default's ./data/infra; an existing repo is left alone.
 */
export async function seedRepo(gitdir: string, branch: string, sources: readonly SeedSource[], author: Person, when = new Date()): Promise<string | null> {
  if (fs.existsSync(path.join(gitdir, 'HEAD'))) return null
  const files = new Map<string, Uint8Array>()
  for (const s of sources) if (fs.existsSync(s.from)) await walk(s.from, s.to ? `${s.to}/` : '', files)
  const tmp = `${gitdir}.seeding-${process.pid}`
  await fsp.rm(tmp, { recursive: true, force: true })
  await fsp.mkdir(tmp, { recursive: true })
  await initBareRepo(tmp, branch)
  const store = new ObjectStore(tmp)
  const commit = await writeCommit(store, {
    parent: null,
    files,
    message: `seed: the infra repo, from infra-sync's example services and Argo CD templates\n`,
    author,
    when,
  })
  await store.flush()
  await writeRef(tmp, `refs/heads/${branch}`, commit.oid)
  // Appears complete or not at all, even if this process dies half-way.
  await fsp.mkdir(path.dirname(gitdir), { recursive: true })
  await fsp.rename(tmp, gitdir)
  return commit.oid
}
