import { execFile } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import { promisify } from 'node:util'
import type { ForgeConfig } from '../../src/config/config.js'
import type { Logger } from '../../src/core/logger.js'
import type { CredentialsProvider, Forge } from '../../src/forges/forge.js'
import { openForge, type ForgeTuning } from '../../src/forges/open-forge.js'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from '../helpers/fake-github/index.js'
import { tmpDir } from '../helpers/tmp.js'

interface Teardown {
  teardown(fn: () => unknown): void
}

/** Quick pacing for the fake: its rate limits are tested on their own, GitHub's 1 s between writes is not needed here. */
export const FAST: ForgeTuning = { pacing: { writeMinMs: 0, notificationMinMs: 0, retryBaseMs: 10 } }

export const TOKEN = 'ghp_contractTestToken0123456789abcdefAB'

/** A logger that keeps every line as JSON, to check none carries a secret. */
export function captureLog(): { log: Logger; lines: string[] } {
  const lines: string[] = []
  const at = (level: string) => (obj: object, msg?: string) => {
    lines.push(JSON.stringify({ level, ...obj, msg }))
  }
  return { log: { info: at('info'), warn: at('warn'), error: at('error'), debug: at('debug') }, lines }
}

/** Where the contract runs: the fake always, a real GitHub repository when the environment names one. */
export interface ForgeTarget {
  readonly name: string
  readonly forge: Forge
  readonly credentials: CredentialsProvider
  readonly owner: string
  readonly repo: string
  readonly base: string
  readonly gitUrl: string
  readonly lines: string[]
  /** Set for the fake: what it stored, its bare repository, its violations. */
  readonly fake?: FakeGitHub
  /** Branches this run pushed (removed after a real run). */
  readonly branches: string[]
}

export async function fakeTarget(t: Teardown, opts: Partial<FakeGitHubOptions> = {}, tuning: ForgeTuning = FAST): Promise<ForgeTarget> {
  const fake = await startFakeGitHub({ files: { 'services/api/kustomization.yaml': 'images: []\n', 'README.md': 'infra\n' }, token: TOKEN, ...opts })
  t.teardown(() => fake.stop())
  const owner = opts.owner ?? 'acme'
  const repo = opts.repo ?? 'infra'
  const { log, lines } = captureLog()
  const config: ForgeConfig = { kind: 'github', apiUrl: fake.apiUrl, owner, repo, auth: { kind: 'token', token: TOKEN } }
  const { forge, credentials } = openForge(config, log, tuning)
  return { name: 'fake', forge, credentials, owner, repo, base: opts.branch ?? 'main', gitUrl: fake.gitUrl, lines, fake, branches: [] }
}

export const REAL_GITHUB = process.env.GITHUB_TEST_TOKEN && process.env.GITHUB_TEST_REPO ? { token: process.env.GITHUB_TEST_TOKEN, repo: process.env.GITHUB_TEST_REPO } : undefined

export function realTarget(): ForgeTarget {
  if (!REAL_GITHUB) throw new Error('GITHUB_TEST_TOKEN and GITHUB_TEST_REPO are not set')
  const [owner = '', repo = ''] = REAL_GITHUB.repo.split('/')
  const apiUrl = process.env.GITHUB_TEST_API_URL ?? 'https://api.github.com'
  const web = apiUrl === 'https://api.github.com' ? 'https://github.com' : apiUrl.replace(/\/api\/v3\/?$/, '')
  const { log, lines } = captureLog()
  const { forge, credentials } = openForge({ kind: 'github', apiUrl, owner, repo, auth: { kind: 'token', token: REAL_GITHUB.token } }, log)
  return { name: 'github', forge, credentials, owner, repo, base: process.env.GITHUB_TEST_BASE ?? 'main', gitUrl: `${web}/${owner}/${repo}.git`, lines, branches: [] }
}

const execFileP = promisify(execFile)

/**
 * The git CLI with the forge's credentials in an extra header (from the environment, never on the command line).
 * Asynchronous: the fake answers from this very process.
 */
export async function gitWith(credentials: CredentialsProvider, cwd: string, ...args: string[]): Promise<string> {
  const c = await credentials()
  const header = c ? `Authorization: Basic ${Buffer.from(`${c.username}:${c.password}`).toString('base64')}` : ''
  const { stdout } = await execFileP('git', args, {
    cwd,
    encoding: 'utf8',
    env: {
      ...process.env,
      GIT_TERMINAL_PROMPT: '0',
      GIT_CONFIG_NOSYSTEM: '1',
      GIT_AUTHOR_NAME: 'Contract Test',
      GIT_AUTHOR_EMAIL: 'contract@example.com',
      GIT_COMMITTER_NAME: 'Contract Test',
      GIT_COMMITTER_EMAIL: 'contract@example.com',
      ...(header && { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: header }),
    },
  })
  return stdout
}

/** Pushes a branch with one commit over the base (or over the branch's tip with `onBranch`); returns its sha. */
export async function pushBranch(t: Teardown, target: ForgeTarget, branch: string, files: Record<string, string>, onBranch = false): Promise<string> {
  const work = path.join(tmpDir(t, 'forge-push-'), 'w')
  await gitWith(target.credentials, path.dirname(work), 'clone', '-q', '--branch', onBranch ? branch : target.base, target.gitUrl, work)
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, p)), { recursive: true })
    fs.writeFileSync(path.join(work, p), content)
  }
  await gitWith(target.credentials, work, 'add', '-A')
  await gitWith(target.credentials, work, 'commit', '-q', '-m', `contract: ${branch}`)
  await gitWith(target.credentials, work, 'push', '-q', 'origin', `HEAD:refs/heads/${branch}`)
  if (!target.branches.includes(branch)) target.branches.push(branch)
  return (await gitWith(target.credentials, work, 'rev-parse', 'HEAD')).trim()
}

/** Branch names unique to this run, so a real repository can hold several runs' leftovers. */
export function runBranch(name: string): string {
  return `infra-sync/contract-${process.pid}-${Date.now().toString(36)}/${name}`
}
