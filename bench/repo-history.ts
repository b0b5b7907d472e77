import { spawn } from 'node:child_process'
import { serviceImage, serviceName } from './generate-repo.js'

/**
 * Adds `commits` deploy commits on top of a generated repo's main (each
 * changes one service's dev tag, spread over `services`), then packs it as a
 * hosted server keeps it. A first clone then has a history to leave behind
 * (a shallow one) or to take (a full one): each commit carries a new
 * `services` tree of one entry per folder.
 */
export async function addHistory(bare: string, services: number, commits: number): Promise<void> {
  const chunks: string[] = []
  for (let k = 0; k < commits; k++) {
    const i = (k * 7919) % services
    const file = `apiVersion: kustomize.config.k8s.io/v1beta1\nkind: Kustomization\nresources:\n  - ../../base\n# bumped by infra-sync\nimages:\n  - name: ${serviceImage(i)}\n    newTag: history-${k}\n`
    const msg = `deploy ${serviceName(i)} history-${k}\n`
    chunks.push(`commit refs/heads/main\ncommitter Bench <bench@example.com> ${1795600001 + k} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`)
    if (k === 0) chunks.push('from refs/heads/main^0\n')
    chunks.push(`M 100644 inline services/${serviceName(i)}/overlays/dev/kustomization.yaml\ndata ${Buffer.byteLength(file)}\n${file}\n`)
  }
  await run(['-C', bare, 'fast-import', '--quiet'], chunks.join(''))
  await run(['-C', bare, 'gc', '--quiet'])
}

function run(args: string[], input?: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const p = spawn('git', args, { stdio: [input === undefined ? 'ignore' : 'pipe', 'ignore', 'pipe'] })
    let err = ''
    p.stderr!.on('data', (c) => (err += c))
    p.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`git ${args.join(' ')}: ${err}`))))
    if (input !== undefined) p.stdin!.end(input)
  })
}
