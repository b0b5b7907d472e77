import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { promisify } from 'node:util'
import { serviceName } from './generate-repo.js'
import { median, percentile } from './stats.js'

const exec = promisify(execFile)
const ENV = { ...process.env, GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'ci', GIT_AUTHOR_EMAIL: 'ci@example.com', GIT_COMMITTER_NAME: 'ci', GIT_COMMITTER_EMAIL: 'ci@example.com' }
const git = (cwd: string, ...args: string[]) => exec('git', args, { cwd, env: ENV, maxBuffer: 64 * 1024 * 1024 })

export interface BaselineResult {
  readonly n: number
  readonly p50: number
  readonly p99: number
  /** Pushes the remote turned down because someone else pushed first. */
  readonly rejected: number
  /** Deploys that gave up after their retries. */
  readonly failed: number
  readonly seconds: number
}

function sedTag(file: string, tag: string): void {
  // What the pipeline scripts do: a regex over the file.
  fs.writeFileSync(file, fs.readFileSync(file, 'utf8').replace(/newTag: .*/, `newTag: ${tag}`))
}

/** The CI-script way: a fresh shallow clone, sed, commit, push; on rejection pull --rebase and push again (3 tries). */
async function ciScriptDeploy(url: string, service: string, tag: string): Promise<{ ms: number; rejected: number; ok: boolean }> {
  const t0 = performance.now()
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ci-script-'))
  let rejected = 0
  try {
    await git(dir, 'clone', '-q', '--depth', '1', '--branch', 'main', url, 'repo')
    const repo = path.join(dir, 'repo')
    sedTag(path.join(repo, `services/${service}/overlays/dev/kustomization.yaml`), tag)
    await git(repo, 'commit', '-q', '-am', `deploy ${service} ${tag}`)
    for (let attempt = 1; attempt <= 3; attempt++) {
      try {
        await git(repo, 'push', '-q', 'origin', 'HEAD:main')
        return { ms: performance.now() - t0, rejected, ok: true }
      } catch {
        rejected++
        try {
          await git(repo, 'pull', '-q', '--rebase', 'origin', 'main')
        } catch {
          return { ms: performance.now() - t0, rejected, ok: false }
        }
      }
    }
    return { ms: performance.now() - t0, rejected, ok: false }
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

let tagSeq = 1

function summarise(runs: { ms: number; rejected: number; ok: boolean }[], seconds: number): BaselineResult {
  const ok = runs.filter((r) => r.ok).map((r) => r.ms)
  return { n: runs.length, p50: median(ok), p99: percentile(ok, 99), rejected: runs.reduce((a, r) => a + r.rejected, 0), failed: runs.filter((r) => !r.ok).length, seconds }
}

export async function ciScript(url: string, services: number, n: number, concurrency: number): Promise<BaselineResult> {
  const t0 = performance.now()
  const runs: { ms: number; rejected: number; ok: boolean }[] = []
  let next = 0
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < n) {
        const k = next++
        runs.push(await ciScriptDeploy(url, serviceName((k * 31) % services), `ci-${tagSeq++}`))
      }
    }),
  )
  return summarise(runs, (performance.now() - t0) / 1000)
}

/** The floor: the real git CLI in a warm clone, pull + one-line change + commit + push. */
export async function warmGitFloor(url: string, services: number, n: number): Promise<BaselineResult> {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'warm-git-'))
  try {
    await git(dir, 'clone', '-q', '--branch', 'main', url, 'repo')
    const repo = path.join(dir, 'repo')
    const runs: { ms: number; rejected: number; ok: boolean }[] = []
    const t0 = performance.now()
    for (let k = 0; k < n; k++) {
      const s = performance.now()
      await git(repo, 'pull', '-q', '--ff-only', 'origin', 'main')
      sedTag(path.join(repo, `services/${serviceName((k * 17) % services)}/overlays/dev/kustomization.yaml`), `floor-${tagSeq++}`)
      await git(repo, 'commit', '-q', '-am', 'deploy')
      await git(repo, 'push', '-q', 'origin', 'HEAD:main')
      runs.push({ ms: performance.now() - s, rejected: 0, ok: true })
    }
    return summarise(runs, (performance.now() - t0) / 1000)
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}
