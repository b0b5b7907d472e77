import { execFile } from 'node:child_process'
import path from 'node:path'
import { CLI, spawnServer, type ChildServer } from './child-server.js'
import { makeBareRepo } from './git-cli.js'
import { startGitServer, type GitServer } from './git-server.js'
import { exampleInfraFiles } from './server.js'
import { FALLBACK } from './sign.js'
import { tmpDir } from './tmp.js'

/** A finished `node dist/cli.js …`: its exit code and output. */
export interface CliRun {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

/** Runs `node dist/cli.js ARGS` as a user's shell would, with only PATH and `env` in its environment. */
export function runCli(args: readonly string[], env: Record<string, string | undefined> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { PATH: process.env.PATH ?? '', ...env } as NodeJS.ProcessEnv }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: number }).code ?? 70) : 0, stdout, stderr })
    })
  })
}

interface Teardown {
  teardown(fn: () => unknown): void
}

/**
 * A real server (`node dist/cli.js serve`) on a real remote (git http-backend)
 * holding `files` (default: this repository's example services), with the
 * fallback secret and, when given, an admin token; both stopped at teardown.
 */
export async function serveOnRemote(t: Teardown, opts: { files?: Record<string, string>; adminToken?: string } = {}): Promise<{ dir: string; bare: string; git: GitServer; server: ChildServer }> {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, opts.files ?? exampleInfraFiles())
  const git = await startGitServer(bare)
  t.teardown(() => git.close())
  const server = await spawnServer(dir, { INFRA_SYNC_REPO: git.url, INFRA_SYNC_SECRET: FALLBACK, ...(opts.adminToken && { INFRA_SYNC_ADMIN_TOKEN: opts.adminToken }), INFRA_SYNC_DATA: path.join(dir, 'data') })
  t.teardown(() => server.proc.kill('SIGKILL'))
  return { dir, bare, git, server }
}
