import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** The image and tag of generated service i. */
export const serviceName = (i: number) => `svc-${String(i).padStart(5, '0')}`
export const serviceImage = (i: number) => `ghcr.io/acme/${serviceName(i)}`

export function files(i: number): Record<string, string> {
  const name = serviceName(i)
  return {
    [`services/${name}/infra-sync.yaml`]: `source: acme/${name}\nimage: ${serviceImage(i)}\n`,
    [`services/${name}/base/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - deployment.yaml\n`,
    [`services/${name}/base/deployment.yaml`]: `apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: ${name}\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ${serviceImage(i)}\n`,
    [`services/${name}/overlays/dev/kustomization.yaml`]: `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n# bumped by infra-sync\nimages:\n  - name: ${serviceImage(i)}\n    newTag: main-0\n`,
  }
}

/**
 * A bare infra repo with `count` service folders (4 files each), made with
 * `git fast-import` so that 10,000 folders take seconds, not minutes.
 */
export async function generateInfraRepo(dir: string, count: number): Promise<string> {
  const bare = path.join(dir, `infra-${count}.git`)
  fs.rmSync(bare, { recursive: true, force: true })
  await run('git', ['init', '-q', '--bare', '-b', 'main', bare])
  await run('git', ['-C', bare, 'config', 'http.receivepack', 'true'])
  const chunks: string[] = ['commit refs/heads/main\n', 'committer Bench <bench@example.com> 1795600000 +0000\n']
  const msg = `generate ${count} services\n`
  chunks.push(`data ${Buffer.byteLength(msg)}\n${msg}`)
  for (let i = 0; i < count; i++) {
    for (const [p, content] of Object.entries(files(i))) chunks.push(`M 100644 inline ${p}\ndata ${Buffer.byteLength(content)}\n${content}\n`)
  }
  await run('git', ['-C', bare, 'fast-import', '--quiet'], chunks.join(''))
  await run('git', ['-C', bare, 'gc', '--quiet'])
  return bare
}

function run(cmd: string, args: string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout!.on('data', (c) => (out += c))
    p.stderr!.on('data', (c) => (err += c))
    p.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`${cmd} ${args.join(' ')}: ${err}`))))
    if (input !== undefined) {
      p.stdin!.on('error', reject)
      p.stdin!.end(input)
    }
  })
}
