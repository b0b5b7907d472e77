import fs from 'node:fs'
import path from 'node:path'
import { git } from './git-cli.js'

/**
 * A bare clone of `source` (a repository with a work tree) holding only its tip,
 * made with the git CLI, and a deepen that does what Remote.deepen does:
 * `git fetch --deepen`, false once the clone is complete. `calls` records each deepen.
 */
export function shallowClone(source: string, into: string, branch = 'main'): { gitdir: string; deepen: (n: number) => Promise<boolean>; calls: number[] } {
  const gitdir = path.join(into, 'shallow.git')
  git(into, 'clone', '-q', '--bare', '--depth', '1', '--branch', branch, `file://${source}`, gitdir)
  const calls: number[] = []
  const deepen = async (n: number): Promise<boolean> => {
    calls.push(n)
    if (!fs.existsSync(path.join(gitdir, 'shallow'))) return false
    git(gitdir, 'fetch', '-q', `--deepen=${n}`, 'origin', branch)
    return true
  }
  return { gitdir, deepen, calls }
}
