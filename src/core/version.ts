import { readFileSync } from 'node:fs'

/**
 * This package's version, read once from package.json (two folders up from
 * src/core and dist/core alike). "unknown" if it cannot be read: a user
 * agent or --version must never stop the program.
 */
export const VERSION: string = (() => {
  try {
    return (JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as { version?: string }).version ?? 'unknown'
  } catch {
    return 'unknown'
  }
})()
