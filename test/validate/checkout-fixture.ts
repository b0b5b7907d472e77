import fs from 'node:fs'
import path from 'node:path'
import { tmpDir } from '../helpers/tmp.js'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')

/** How many example services this project has (folders of services/ with an infra-sync.yaml). */
export const EXAMPLES = fs.readdirSync(path.join(REPO_ROOT, 'services')).filter((n) => fs.existsSync(path.join(REPO_ROOT, 'services', n, 'infra-sync.yaml'))).length

/**
 * An infra repo checkout as people lay one out: this project's example
 * services/ and infra-template/argocd/ as argocd/, then `edits` applied
 * (a string: the file's new content; null: remove the file or folder).
 */
export function makeCheckout(t: { teardown(fn: () => unknown): void }, edits: Record<string, string | null> = {}): string {
  const dir = tmpDir(t, 'infra-sync-validate-')
  fs.cpSync(path.join(REPO_ROOT, 'services'), path.join(dir, 'services'), { recursive: true })
  fs.cpSync(path.join(REPO_ROOT, 'infra-template', 'argocd'), path.join(dir, 'argocd'), { recursive: true })
  for (const [p, content] of Object.entries(edits)) {
    const full = path.join(dir, p)
    if (content === null) fs.rmSync(full, { recursive: true, force: true })
    else {
      fs.mkdirSync(path.dirname(full), { recursive: true })
      fs.writeFileSync(full, content)
    }
  }
  return dir
}

export const read = (dir: string, p: string) => fs.readFileSync(path.join(dir, p), 'utf8')

/** A kustomization overlay that deploys `image` at `tag`. */
export const overlay = (image: string, tag = '1.0.0') => `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\nimages:\n  - name: ${image}\n    newTag: "${tag}"\n`

/** 1-based line and column of the first `needle` in `text`: expected positions follow the examples as they change. */
export function positionOf(text: string, needle: string): { line: number; column: number } {
  const before = text.slice(0, text.indexOf(needle))
  if (before.length === text.length) throw new Error(`${needle} not in the text`)
  const lines = before.split('\n')
  return { line: lines.length, column: lines.at(-1)!.length + 1 }
}
