import { UnsafePathError } from './errors.js'

/** Refuses repository paths that could escape the tree or touch git's own files. */
export function assertSafeRepoPath(path: string): string {
  if (typeof path !== 'string' || path.length === 0) throw new UnsafePathError('empty path', { path })
  if (path.includes('\0') || path.includes('\\')) throw new UnsafePathError(`unsafe path ${JSON.stringify(path)}`, { path })
  if (path.startsWith('/') || /^[A-Za-z]:/.test(path)) throw new UnsafePathError(`absolute path ${JSON.stringify(path)}`, { path })
  const parts = path.split('/').filter((p) => p !== '' && p !== '.')
  if (parts.some((p) => p === '..')) throw new UnsafePathError(`path ${JSON.stringify(path)} leaves the repository`, { path })
  if (parts.some((p) => p.toLowerCase() === '.git')) throw new UnsafePathError(`path ${JSON.stringify(path)} is inside .git`, { path })
  if (parts.length === 0) throw new UnsafePathError('empty path', { path })
  return parts.join('/')
}
