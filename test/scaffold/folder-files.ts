import fs from 'node:fs'
import path from 'node:path'
import type { FolderFile } from '../../src/scaffold/fill-template.js'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')
export const BASIC = path.join(REPO_ROOT, 'infra-template', 'basic')
export const GOLDEN = path.join(REPO_ROOT, 'test', 'fixtures', 'scaffold')

/** Every file under `dir`, relative paths with `/`, sorted. */
export function readFolder(dir: string): FolderFile[] {
  const out: FolderFile[] = []
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(p)
      else out.push({ path: p, bytes: fs.readFileSync(path.join(dir, p)) })
    }
  }
  walk('')
  return out.sort((a, b) => (a.path < b.path ? -1 : 1))
}

export const text = (files: readonly FolderFile[]) => Object.fromEntries(files.map((f) => [f.path, Buffer.from(f.bytes).toString('utf8')]))

export const folder = (files: Record<string, string>): FolderFile[] => Object.entries(files).map(([p, c]) => ({ path: p, bytes: Buffer.from(c) }))
