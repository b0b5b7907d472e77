import { execFile } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

/**
 * The fake's repository on disk, changed only with the git CLI: merges are real merge commits
 * (`git merge-tree --write-tree` + `commit-tree` + `update-ref` with the old value, so a push racing a merge
 * is noticed, as on GitHub).
 */
const BASE_ENV = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', LC_ALL: 'C' }

export interface Identity {
  name: string
  email: string
}

export const GITHUB_COMMITTER: Identity = { name: 'GitHub', email: 'noreply@github.com' }

export class GitFailed extends Error {
  constructor(
    readonly args: string[],
    readonly code: number,
    readonly stderr: string,
  ) {
    super(`git ${args[0]} exited ${code}: ${stderr.trim().split('\n')[0] ?? ''}`)
  }
}

export function run(cwd: string, args: string[], opts: { env?: Record<string, string>; input?: string; okCodes?: number[] } = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = execFile('git', args, { cwd, env: { ...BASE_ENV, ...opts.env }, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : -1) : 0
      if (code === 0 || opts.okCodes?.includes(code)) resolve({ code, stdout })
      else reject(new GitFailed(args, code, stderr))
    })
    if (opts.input !== undefined) child.stdin?.end(opts.input)
  })
}

const identityEnv = (author: Identity, committer: Identity) => ({
  GIT_AUTHOR_NAME: author.name,
  GIT_AUTHOR_EMAIL: author.email,
  GIT_COMMITTER_NAME: committer.name,
  GIT_COMMITTER_EMAIL: committer.email,
})

/** GitHub's commit identity for a login. */
export const identityOf = (login: string, id: number): Identity => ({ name: login, email: `${id}+${login}@users.noreply.github.com` })

const hookScript = (branch: string) => `#!/bin/sh
# GitHub's answer to a push to a protected branch.
while read old new ref; do
  if [ "$ref" = "refs/heads/${branch}" ]; then
    echo "error: GH006: Protected branch update failed for refs/heads/${branch}." >&2
    echo "error: Changes must be made through a pull request." >&2
    exit 1
  fi
done
exit 0
`

/**
 * Seeded repositories already made in this process, by what they hold: a fake's repository is a copy of one
 * (six git processes for the first fake of a kind, none for the next). Removed when the process exits.
 */
const templates = new Map<string, Promise<string>>()
let templateRoot: string | undefined

function templateFor(branch: string, files: Record<string, string>): Promise<string> {
  const key = JSON.stringify([branch, Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1))])
  let made = templates.get(key)
  if (!made) {
    if (!templateRoot) {
      const root = fs.mkdtempSync(path.join(os.tmpdir(), 'fake-github-templates-'))
      process.on('exit', () => fs.rmSync(root, { recursive: true, force: true }))
      templateRoot = root
    }
    made = seedBareRepo(path.join(templateRoot, String(templates.size)), branch, files)
    templates.set(key, made)
    made.catch(() => templates.delete(key))
  }
  return made
}

async function seedBareRepo(root: string, branch: string, files: Record<string, string>): Promise<string> {
  const bare = path.join(root, 'repo.git')
  const seed = path.join(root, 'seed')
  fs.mkdirSync(seed, { recursive: true })
  for (const [p, content] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(seed, p)), { recursive: true })
    fs.writeFileSync(path.join(seed, p), content)
  }
  const env = identityEnv({ name: 'Human Operator', email: 'ops@example.com' }, { name: 'Human Operator', email: 'ops@example.com' })
  await run(seed, ['init', '-q', '-b', branch])
  await run(seed, ['add', '-A'])
  await run(seed, ['commit', '-q', '--allow-empty', '-m', 'seed'], { env })
  await run(root, ['clone', '-q', '--bare', seed, bare])
  await run(bare, ['config', 'http.receivepack', 'true'])
  await run(bare, ['remote', 'remove', 'origin'])
  fs.rmSync(seed, { recursive: true, force: true })
  return bare
}

/** A bare repository at `<root>/<owner>/<repo>.git` whose first commit on `branch` holds `files`. */
export async function createBareRepo(root: string, owner: string, repo: string, branch: string, files: Record<string, string>, protect: boolean): Promise<string> {
  const bare = path.join(root, owner, `${repo}.git`)
  fs.mkdirSync(path.dirname(bare), { recursive: true })
  fs.cpSync(await templateFor(branch, files), bare, { recursive: true })
  if (protect) fs.writeFileSync(path.join(bare, 'hooks', 'pre-receive'), hookScript(branch), { mode: 0o755 })
  return bare
}

/** Every branch's tip. */
export async function branchTips(bare: string): Promise<Map<string, string>> {
  const { stdout } = await run(bare, ['for-each-ref', '--format=%(refname:lstrip=2) %(objectname)', 'refs/heads'])
  const tips = new Map<string, string>()
  for (const line of stdout.split('\n')) {
    const [name, sha] = line.split(' ')
    if (name && sha) tips.set(name, sha)
  }
  return tips
}

export async function isAncestor(bare: string, ancestor: string, of: string): Promise<boolean> {
  return (await run(bare, ['merge-base', '--is-ancestor', ancestor, of], { okCodes: [1] })).code === 0
}

/** The tree merging `head` into `base` would give, or null on a conflict. */
export async function mergeTree(bare: string, base: string, head: string): Promise<string | null> {
  const r = await run(bare, ['merge-tree', '--write-tree', '--no-messages', base, head], { okCodes: [1] })
  return r.code === 0 ? r.stdout.split('\n')[0]!.trim() : null
}

async function commitTree(bare: string, tree: string, parents: string[], message: string, author: Identity, committer: Identity, date?: string): Promise<string> {
  const env = { ...identityEnv(author, committer), ...(date && { GIT_AUTHOR_DATE: date }) }
  const args = ['commit-tree', tree, ...parents.flatMap((p) => ['-p', p]), '-F', '-']
  return (await run(bare, args, { env, input: message })).stdout.trim()
}

export type MergeOutcome = { kind: 'merged'; sha: string } | { kind: 'conflict' } | { kind: 'base-moved' }

/**
 * Merges `head` into `base` as GitHub's merge button does: a merge commit, one squashed commit, or the
 * head's commits replayed (rebase: only when they apply without a three-way merge).
 */
export async function mergeBranches(
  bare: string,
  m: { base: string; baseSha: string; headSha: string; method: 'merge' | 'squash' | 'rebase'; message: string; author: Identity },
): Promise<MergeOutcome> {
  const tree = await mergeTree(bare, m.baseSha, m.headSha)
  if (tree === null) return { kind: 'conflict' }
  let sha: string
  if (m.method === 'merge') {
    sha = await commitTree(bare, tree, [m.baseSha, m.headSha], m.message, m.author, GITHUB_COMMITTER)
  } else if (m.method === 'squash') {
    sha = await commitTree(bare, tree, [m.baseSha], m.message, m.author, GITHUB_COMMITTER)
  } else {
    const rebased = await replay(bare, m.baseSha, m.headSha)
    if (rebased === null) return { kind: 'conflict' }
    sha = rebased
  }
  const moved = await run(bare, ['update-ref', `refs/heads/${m.base}`, sha, m.baseSha], { okCodes: [1, 128] })
  return moved.code === 0 ? { kind: 'merged', sha } : { kind: 'base-moved' }
}

/** Recommits the head's own commits on the base, each with its tree, when the base is their fork point. */
async function replay(bare: string, baseSha: string, headSha: string): Promise<string | null> {
  const forkPoint = (await run(bare, ['merge-base', baseSha, headSha])).stdout.trim()
  if (forkPoint !== baseSha) return null
  const list = (await run(bare, ['rev-list', '--reverse', '--no-merges', `${baseSha}..${headSha}`])).stdout.split('\n').filter(Boolean)
  let parent = baseSha
  for (const c of list) {
    const fmt = (await run(bare, ['show', '-s', '--format=%T%x00%an%x00%ae%x00%aI%x00%B', c])).stdout
    const [tree, name, email, date, message] = fmt.split('\x00') as [string, string, string, string, string]
    parent = await commitTree(bare, tree, [parent], message, { name, email }, GITHUB_COMMITTER, date)
  }
  return parent
}
