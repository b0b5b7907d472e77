/**
 * `validate --watch` at scale: a checkout of `services` generated folders
 * (generate-repo.ts's shapes) and this project's ApplicationSet and
 * AppProject, watched by the real CLI; each edit is timed from the write to
 * the line it makes the process print. Edits alternate between breaking
 * a folder (an unknown key in infra-sync.yaml, a tag key kustomize refuses)
 * and fixing it (then the valid line), in folders spread over the checkout.
 */
import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { CLI } from '../test/helpers/child-server.js'
import { files, serviceName } from './generate-repo.js'
import { median, ms, percentile } from './stats.js'

export interface ValidateWatchSize {
  readonly services: number
  /** Edits timed (each a break or a fix). */
  readonly edits: number
}

export interface ValidateWatchResult {
  readonly services: number
  /** From spawning the process to its first valid line (watch set up, full check). */
  readonly startupMs: number
  /** Save → the new finding printed. */
  readonly breakMs: readonly number[]
  /** Save → the valid line printed. */
  readonly fixMs: readonly number[]
  readonly medianMs: number
  readonly p90Ms: number
}

const ROOT = path.resolve(import.meta.dirname, '..')

function writeCheckout(dir: string, count: number): void {
  fs.rmSync(dir, { recursive: true, force: true })
  for (let i = 0; i < count; i++) {
    for (const [p, content] of Object.entries(files(i))) {
      fs.mkdirSync(path.join(dir, path.dirname(p)), { recursive: true })
      fs.writeFileSync(path.join(dir, p), content)
    }
  }
  fs.cpSync(path.join(ROOT, 'infra-template', 'argocd'), path.join(dir, 'argocd'), { recursive: true })
}

export async function validateWatch(work: string, size: ValidateWatchSize, log: (s: string) => void): Promise<ValidateWatchResult> {
  const dir = path.join(work, `validate-watch-${size.services}`)
  log(`validate --watch: writing ${size.services} service folders`)
  writeCheckout(dir, size.services)

  const started = performance.now()
  const proc = spawn(process.execPath, [CLI, 'validate', dir, '--watch'], { stdio: ['ignore', 'pipe', 'pipe'] })
  const lines: { text: string; at: number }[] = []
  let partial = ''
  let stderr = ''
  const waiters: { re: RegExp; from: number; resolve: (at: number) => void }[] = []
  const settle = () => {
    for (const w of [...waiters]) {
      const hit = lines.slice(w.from).find((l) => w.re.test(l.text))
      if (hit) {
        waiters.splice(waiters.indexOf(w), 1)
        w.resolve(hit.at)
      }
    }
  }
  proc.stdout.on('data', (c: Buffer) => {
    const at = performance.now()
    const parts = (partial + c.toString()).split('\n')
    partial = parts.pop()!
    for (const text of parts) lines.push({ text, at })
    settle()
  })
  proc.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
  const next = (re: RegExp, timeoutMs = 60_000) =>
    new Promise<number>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`validate --watch: no ${re} within ${timeoutMs} ms; stderr: ${stderr}`)), timeoutMs)
      waiters.push({ re, from: lines.length, resolve: (at) => (clearTimeout(timer), resolve(at)) })
      settle()
    })

  try {
    const startupMs = (await next(/^the checkout is valid/, 300_000)) - started
    log(`  first check ${ms(startupMs)}`)
    const breakMs: number[] = []
    const fixMs: number[] = []
    for (let k = 0; k < size.edits; k += 2) {
      const i = Math.floor(((k / 2) * 7919) % size.services)
      const name = serviceName(i)
      const [file, good] = k % 4 === 0 ? configFile(i) : overlayFile(i)
      const bad = k % 4 === 0 ? good.replace('image:', 'imagee:') : good.replace('newTag:', 'newtag:')
      const full = path.join(dir, file)
      let t0 = performance.now()
      fs.writeFileSync(full, bad)
      breakMs.push((await next(new RegExp(`^services/${name}/`))) - t0)
      t0 = performance.now()
      fs.writeFileSync(full, good)
      fixMs.push((await next(/^the checkout is valid/)) - t0)
    }
    const all = [...breakMs, ...fixMs]
    const r = { services: size.services, startupMs, breakMs, fixMs, medianMs: median(all), p90Ms: percentile(all, 90) }
    log(`  save → output: median ${ms(r.medianMs)}, p90 ${ms(r.p90Ms)} (${all.length} edits)`)
    return r
  } finally {
    proc.kill('SIGTERM')
    await new Promise((r) => (proc.exitCode === null ? proc.once('exit', r) : r(null)))
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

function configFile(i: number): [string, string] {
  const p = `services/${serviceName(i)}/infra-sync.yaml`
  return [p, files(i)[p]!]
}

function overlayFile(i: number): [string, string] {
  const p = `services/${serviceName(i)}/overlays/dev/kustomization.yaml`
  return [p, files(i)[p]!]
}

export function validateWatchSection(r: ValidateWatchResult): string {
  return [
    '## validate --watch',
    '',
    `A checkout of ${r.services} service folders and an ApplicationSet, watched by \`infra-sync validate --watch\` (a real process); each edit timed from the write to the line it prints (a finding, or the valid line once fixed).`,
    '',
    '| first check | save → output, median | p90 | breaks, median | fixes, median | edits |',
    '|---|---|---|---|---|---|',
    `| ${ms(r.startupMs)} | ${ms(r.medianMs)} | ${ms(r.p90Ms)} | ${ms(median(r.breakMs))} | ${ms(median(r.fixMs))} | ${r.breakMs.length + r.fixMs.length} |`,
    '',
  ].join('\n')
}
