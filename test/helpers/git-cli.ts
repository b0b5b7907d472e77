import { execFile, execFileSync } from 'node:child_process'
import { promisify } from 'node:util'
import fs from 'node:fs'
import path from 'node:path'
import { writeTree } from './tmp.js'

const ENV = {
  ...process.env,
  GIT_AUTHOR_NAME: 'Human Operator',
  GIT_AUTHOR_EMAIL: 'ops@example.com',
  GIT_COMMITTER_NAME: 'Human Operator',
  GIT_COMMITTER_EMAIL: 'ops@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_TERMINAL_PROMPT: '0',
}

/** The real git CLI: how the tests check what infra-sync did, independently of infra-sync's own git code. */
export function git(cwd: string, ...args: string[]): string {
  return execFileSync('git', args, { cwd, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] })
}

const execFileP = promisify(execFile)

/** The git CLI as a separate process that runs while the test goes on. */
export async function gitAsync(cwd: string, ...args: string[]): Promise<string> {
  return (await execFileP('git', args, { cwd, env: ENV, encoding: 'utf8' })).stdout
}

/** A bare repo whose first commit holds `files`, made with the git CLI. */
export function makeBareRepo(dir: string, files: Record<string, string>, branch = 'main'): string {
  const bare = path.join(dir, 'infra.git')
  const work = path.join(dir, 'seed-work')
  fs.mkdirSync(work, { recursive: true })
  git(work, 'init', '-q', '-b', branch)
  writeTree(work, files)
  git(work, 'add', '-A')
  git(work, 'commit', '-q', '-m', 'seed')
  git(dir, 'clone', '-q', '--bare', work, bare)
  git(bare, 'config', 'http.receivepack', 'true')
  fs.rmSync(work, { recursive: true, force: true })
  return bare
}

/** Messages and trailers of every commit on a branch, newest first. */
export function commits(bare: string, branch = 'main'): { sha: string; subject: string; events: string[] }[] {
  const out = git(bare, 'log', branch, '--format=%H%x00%s%x00%(trailers:key=Infra-Sync-Event,valueonly,separator=%x2C)%x1e')
  return out
    .split('\x1e')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((rec) => {
      const [sha, subject, events] = rec.split('\x00')
      return { sha: sha!, subject: subject!, events: events ? events.split(',').map((e) => e.trim()).filter(Boolean) : [] }
    })
}

export function show(bare: string, rev: string, file: string): string {
  return git(bare, 'show', `${rev}:${file}`)
}
