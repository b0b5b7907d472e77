import fs from 'node:fs'
import path from 'node:path'
import { tmpDir } from '../helpers/tmp.js'

export const REPO_ROOT = path.resolve(import.meta.dirname, '..', '..')

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
