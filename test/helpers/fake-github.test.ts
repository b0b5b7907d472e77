import { execFile } from 'node:child_process'
import { createHmac, createSign, generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import path from 'node:path'
import t from 'tap'
import { startFakeGitHub, type FakeGitHub, type FakeGitHubOptions } from './fake-github/index.js'
import { tmpDir } from './tmp.js'

/** The fake GitHub enforces GitHub's rules and checks itself against GitHub's published descriptions. */
const TOKEN = 'ghp_fakeGitHubTestToken0123456789abcdef'
const FILES = { 'services/api/kustomization.yaml': 'images: []\n', 'README.md': 'infra\n' }

interface Teardown {
  teardown(fn: () => unknown): void
}

async function fake(tt: Teardown, opts: Partial<FakeGitHubOptions> = {}): Promise<FakeGitHub> {
  const gh = await startFakeGitHub({ files: FILES, token: TOKEN, ...opts })
  tt.teardown(() => gh.stop())
  return gh
}

/** The git CLI in its own process: the fake answers from this one, so nothing here may block it. */
function git(cwd: string, args: string[], token?: string): Promise<{ code: number; stdout: string; stderr: string }> {
  const header = token ? { GIT_CONFIG_COUNT: '1', GIT_CONFIG_KEY_0: 'http.extraHeader', GIT_CONFIG_VALUE_0: `Authorization: Basic ${Buffer.from(`x-access-token:${token}`).toString('base64')}` } : {}
  const env = { ...process.env, GIT_CONFIG_NOSYSTEM: '1', GIT_TERMINAL_PROMPT: '0', GIT_AUTHOR_NAME: 'T', GIT_AUTHOR_EMAIL: 't@example.com', GIT_COMMITTER_NAME: 'T', GIT_COMMITTER_EMAIL: 't@example.com', ...header }
  return new Promise((resolve) => {
    execFile('git', args, { cwd, env, encoding: 'utf8' }, (err, stdout, stderr) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout: stdout.trim(), stderr }))
  })
}

/** Clones, commits `files` on `branch` and pushes it; returns the commit. */
async function pushBranch(tt: Teardown, gh: FakeGitHub, branch: string, files: Record<string, string>, token = TOKEN): Promise<string> {
  const work = path.join(tmpDir(tt, 'fake-gh-work-'), 'w')
  const cloned = await git(path.dirname(work), ['clone', '-q', gh.gitUrl, work], token)
  if (cloned.code !== 0) throw new Error(`clone failed: ${cloned.stderr}`)
  await git(work, ['checkout', '-q', '-B', branch])
  for (const [p, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(work, p)), { recursive: true })
    fs.writeFileSync(path.join(work, p), text)
  }
  await git(work, ['add', '-A'])
  await git(work, ['commit', '-q', '-m', `change ${branch}`])
  // Forced, as infra-sync regenerates its branches.
  const pushed = await git(work, ['push', '-q', 'origin', `+HEAD:refs/heads/${branch}`], token)
  if (pushed.code !== 0) throw new Error(`push failed: ${pushed.stderr}`)
  return (await git(work, ['rev-parse', 'HEAD'])).stdout
}

async function api(gh: FakeGitHub, method: string, p: string, body?: unknown, auth: string | null = `token ${TOKEN}`) {
  const res = await fetch(`${gh.apiUrl}${p}`, {
    method,
    headers: { ...(auth && { authorization: auth }), ...(body !== undefined && { 'content-type': 'application/json' }) },
    ...(body !== undefined && { body: JSON.stringify(body) }),
  })
  const text = await res.text()
  return { status: res.status, headers: res.headers, body: (text ? JSON.parse(text) : undefined) as any }
}

const openPull = (gh: FakeGitHub, head: string, extra: object = {}) => api(gh, 'POST', '/repos/acme/infra/pulls', { title: `deploy ${head}`, head: `acme:${head}`, base: 'main', body: 'b', ...extra })

/** A webhook receiver that checks GitHub's signature and keeps what it got. */
async function receiver(tt: Teardown, secret: string) {
  const got: { event: string; signed: boolean; payload: any }[] = []
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const raw = Buffer.concat(chunks)
      const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`
      got.push({ event: String(req.headers['x-github-event']), signed: req.headers['x-hub-signature-256'] === expected, payload: JSON.parse(raw.toString('utf8')) })
      res.writeHead(204).end()
    })
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  tt.teardown(() => new Promise<void>((r) => server.close(() => r())))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`, got }
}

t.test('opening pull requests: one open per head, head and base must exist, the head follows pushes', async (t) => {
  const gh = await fake(t)
  const first = await pushBranch(t, gh, 'infra-sync/api/prod', { 'services/api/kustomization.yaml': 'images: [a]\n' })
  const opened = await openPull(gh, 'infra-sync/api/prod')
  t.equal(opened.status, 201)
  t.equal(opened.body.head.sha, first)
  const again = await openPull(gh, 'infra-sync/api/prod')
  t.equal(again.status, 422, 'a second open pull request for the same head is refused')
  t.match(again.body.errors, [{ resource: 'PullRequest', code: 'custom' }])
  t.equal((await openPull(gh, 'no-such-branch')).status, 422, 'the head must exist')
  t.equal((await openPull(gh, 'infra-sync/api/prod', { base: 'no-such-base' })).status, 422, 'the base must exist')

  const moved = await pushBranch(t, gh, 'infra-sync/api/prod', { 'services/api/kustomization.yaml': 'images: [b]\n' })
  const got = await api(gh, 'GET', `/repos/acme/infra/pulls/${opened.body.number}`)
  t.equal(got.body.head.sha, moved, 'head.sha is the branch tip at every read')
  t.equal(got.body.mergeable_state, 'clean')

  const listed = await api(gh, 'GET', '/repos/acme/infra/pulls?head=acme:infra-sync/api/prod&state=open&per_page=1')
  t.same(listed.body.map((p: { number: number }) => p.number), [opened.body.number])
  t.same((await api(gh, 'GET', '/repos/acme/infra/pulls?head=acme:other&state=open')).body, [])
  t.same((await api(gh, 'GET', '/repos/acme/infra/pulls?state=closed')).body, [])
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls/999')).status, 404)
  t.same(gh.violations, [])
})

t.test('updating, labels, reviewers, closing through PATCH', async (t) => {
  const gh = await fake(t, { collaborators: ['alice'] })
  await pushBranch(t, gh, 'feature', { 'a.txt': 'a\n' })
  const { body: pr } = await openPull(gh, 'feature')
  t.equal((await api(gh, 'PATCH', `/repos/acme/infra/pulls/${pr.number}`, { title: 'new title', body: 'new body' })).body.title, 'new title')
  t.equal((await api(gh, 'POST', `/repos/acme/infra/issues/${pr.number}/labels`, { labels: ['infra-sync'] })).status, 200)
  t.equal((await api(gh, 'POST', `/repos/acme/infra/pulls/${pr.number}/requested_reviewers`, { reviewers: ['alice'] })).status, 201)
  t.equal((await api(gh, 'POST', `/repos/acme/infra/pulls/${pr.number}/requested_reviewers`, { reviewers: ['mallory'] })).status, 422, 'not a collaborator')
  t.match(gh.pulls.get(pr.number), { title: 'new title', body: 'new body', labels: ['infra-sync'], reviewers: ['alice'], state: 'open' })
  const closed = await api(gh, 'PATCH', `/repos/acme/infra/pulls/${pr.number}`, { state: 'closed' })
  t.match(closed.body, { state: 'closed', merged: false })
  t.same((await api(gh, 'GET', '/repos/acme/infra/pulls?state=closed&sort=updated&direction=desc')).body.map((p: { number: number }) => p.number), [pr.number])
  t.same(gh.violations, [])
})

t.test('merging: 409 on a stale sha, 405 when blocked, closed or merged; a real merge commit', async (t) => {
  const gh = await fake(t, { requiredChecks: true })
  const sha = await pushBranch(t, gh, 'feature', { 'a.txt': 'a\n' })
  const { body: pr } = await openPull(gh, 'feature')
  const merge = (body: object) => api(gh, 'PUT', `/repos/acme/infra/pulls/${pr.number}/merge`, body)
  t.equal((await api(gh, 'GET', `/repos/acme/infra/pulls/${pr.number}`)).body.mergeable_state, 'blocked')
  t.equal((await merge({ sha, merge_method: 'squash' })).status, 405, 'required checks have not passed')
  await gh.passChecks(pr.number)
  t.equal((await api(gh, 'GET', `/repos/acme/infra/pulls/${pr.number}`)).body.mergeable_state, 'clean')
  t.equal((await merge({ sha: 'f'.repeat(40) })).status, 409, 'the head is not that sha')
  const done = await merge({ sha, merge_method: 'squash' })
  t.match(done, { status: 200, body: { merged: true } })
  const log = (await git(gh.bareRepo, ['log', '-1', '--format=%H %P', 'main'])).stdout.split(' ')
  t.equal(log[0], done.body.sha, 'main is at the squash commit')
  t.equal(log.length, 2, 'a squash commit has one parent')
  t.equal((await git(gh.bareRepo, ['show', 'main:a.txt'])).stdout, 'a')
  t.equal((await merge({})).status, 405, 'merged already')
  t.match(gh.pulls.get(pr.number), { merged: true, mergeCommit: done.body.sha, mergedBy: 'infra-sync-bot', state: 'closed' })
  t.same(gh.violations, [])
})

t.test('mergeByPerson and close make real commits and send signed webhooks', async (t) => {
  const hook = await receiver(t, 'hook-secret')
  const gh = await fake(t, { webhook: { url: hook.url, secret: 'hook-secret' } })
  const head = await pushBranch(t, gh, 'one', { 'one.txt': '1\n' })
  await pushBranch(t, gh, 'two', { 'two.txt': '2\n' })
  const one = (await openPull(gh, 'one')).body.number
  const two = (await openPull(gh, 'two')).body.number
  const mainBefore = (await git(gh.bareRepo, ['rev-parse', 'main'])).stdout

  const sha = await gh.mergeByPerson(one, 'alice')
  const [commit, ...parents] = (await git(gh.bareRepo, ['log', '-1', '--format=%H %P', 'main'])).stdout.split(' ')
  t.equal(commit, sha)
  t.same(parents, [mainBefore, head], 'a merge commit of main and the head')
  t.equal((await git(gh.bareRepo, ['log', '-1', '--format=%an', 'main'])).stdout, 'alice')
  await gh.close(two, 'bob')

  t.equal(hook.got.length, 2)
  t.ok(hook.got.every((h) => h.signed && h.event === 'pull_request'))
  t.match(hook.got[0]!.payload, { action: 'closed', number: one, pull_request: { merged: true, merged_by: { login: 'alice' }, merge_commit_sha: sha, head: { ref: 'one' }, base: { ref: 'main' } }, repository: { full_name: 'acme/infra' } })
  t.match(hook.got[1]!.payload, { action: 'closed', number: two, pull_request: { merged: false, merged_by: null }, sender: { login: 'bob' } })
  t.same(gh.webhookDeliveries.map((d) => d.status), [204, 204])
  t.same(gh.violations, [], 'the payloads match the described pull_request.closed webhook')
})

const AUTO_MERGE = 'mutation($id: ID!, $method: PullRequestMergeMethod!) { enablePullRequestAutoMerge(input: {pullRequestId: $id, mergeMethod: $method}) { pullRequest { number autoMergeRequest { mergeMethod } } } }'

t.test('GraphQL auto-merge: enabled while blocked, merged by passChecks; refused with UNPROCESSABLE when clean', async (t) => {
  const gh = await fake(t, { requiredChecks: true })
  await pushBranch(t, gh, 'feature', { 'a.txt': 'a\n' })
  const { body: pr } = await openPull(gh, 'feature')
  const enabled = await api(gh, 'POST', '/graphql', { query: AUTO_MERGE, variables: { id: pr.node_id, method: 'SQUASH' } })
  t.same(enabled.body, { data: { enablePullRequestAutoMerge: { pullRequest: { number: pr.number, autoMergeRequest: { mergeMethod: 'SQUASH' } } } } })
  await gh.passChecks(pr.number)
  t.match(gh.pulls.get(pr.number), { merged: true, mergedBy: 'infra-sync-bot' })

  await pushBranch(t, gh, 'second', { 'b.txt': 'b\n' })
  const { body: second } = await openPull(gh, 'second')
  await gh.passChecks(second.number)
  const refused = await api(gh, 'POST', '/graphql', { query: AUTO_MERGE, variables: { id: second.node_id, method: 'MERGE' } })
  t.equal(refused.status, 200)
  t.match(refused.body, { data: { enablePullRequestAutoMerge: null }, errors: [{ type: 'UNPROCESSABLE', path: ['enablePullRequestAutoMerge'] }] })
  t.same(gh.violations, [])
})

t.test('validation can fail: a wrong body type, a corrupted answer, an unknown GraphQL field', async (t) => {
  const gh = await fake(t)
  await pushBranch(t, gh, 'feature', { 'a.txt': 'a\n' })
  const bad = await api(gh, 'POST', '/repos/acme/infra/pulls', { title: 42, head: 'acme:feature', base: 'main' })
  t.equal(bad.status, 422)
  t.equal(gh.violations.length, 1)
  t.match(gh.violations[0], /^pulls\/create: request body/)

  gh.testHooks = { mutateResponse: (op, _status, body) => (op === 'pulls/create' ? { ...(body as object), number: 'seven' } : body) }
  t.equal((await openPull(gh, 'feature')).status, 201)
  gh.testHooks = {}
  t.equal(gh.violations.length, 2)
  t.match(gh.violations[1], /^pulls\/create: 201 response/)

  const unknown = await api(gh, 'POST', '/graphql', { query: 'query { repository(owner: "acme", name: "infra") { pullRequest(number: 1) { number noSuchField } } }' })
  t.ok(unknown.body.errors?.length, 'GraphQL answers an error')
  t.equal(gh.violations.length, 3)
  t.match(gh.violations[2], /^graphql: /)

  await api(gh, 'GET', '/repos/acme/infra/branches')
  t.equal(gh.violations.length, 4, 'an operation outside the subset is a violation too')
})

t.test('statuses and deployments on any repository', async (t) => {
  const gh = await fake(t)
  const sha = 'a'.repeat(40)
  t.equal((await api(gh, 'POST', `/repos/acme/orders/statuses/${sha}`, { state: 'pending', context: 'infra-sync/prod', description: 'waiting', target_url: 'https://example.com/pr/1' })).status, 201)
  t.equal((await api(gh, 'POST', `/repos/acme/orders/statuses/${sha}`, { state: 'success', context: 'infra-sync/prod', description: 'x'.repeat(141) })).status, 422, 'description over 140')
  t.equal((await api(gh, 'GET', `/repos/acme/orders/commits/${sha}/status`)).body.state, 'pending')
  t.same(gh.statuses.map((s) => [s.repo, s.context, s.state]), [['acme/orders', 'infra-sync/prod', 'pending']])
  const d = await api(gh, 'POST', '/repos/acme/orders/deployments', { ref: sha, environment: 'prod', auto_merge: false, required_contexts: [], description: 'deploy' })
  t.equal(d.status, 201)
  t.equal((await api(gh, 'POST', `/repos/acme/orders/deployments/${d.body.id}/statuses`, { state: 'success', log_url: 'https://example.com/c/1' })).status, 201)
  t.match(gh.deployments, [{ id: d.body.id, repo: 'acme/orders', ref: sha, environment: 'prod', statuses: [{ state: 'success', logUrl: 'https://example.com/c/1' }] }])
  t.same(gh.violations, [])
})

t.test('the secondary rate limit answers 403 with retry-after past its count', async (t) => {
  let clock = 1_000_000
  const gh = await fake(t, { rateLimit: { requests: 3, windowMs: 1000 }, now: () => clock })
  const statuses: number[] = []
  for (let i = 0; i < 5; i++) statuses.push((await api(gh, 'GET', '/repos/acme/infra/pulls')).status)
  t.same(statuses, [200, 200, 200, 403, 403])
  const over = await api(gh, 'GET', '/repos/acme/infra/pulls')
  t.equal(over.headers.get('retry-after'), '1')
  clock += 1000
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls')).status, 200, 'the next window admits again')
  t.same(gh.violations, [])
})

t.test('credentials: 401 without or with a wrong token, on the API and on git', async (t) => {
  const gh = await fake(t)
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, null)).status, 401)
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, 'token ghp_wrong')).status, 401)
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, `Bearer ${TOKEN}`)).status, 200)
  const dir = tmpDir(t)
  t.not((await git(dir, ['ls-remote', gh.gitUrl])).code, 0, 'git without credentials')
  t.not((await git(dir, ['ls-remote', gh.gitUrl], 'ghp_wrong')).code, 0, 'git with a wrong token')
  t.match((await git(dir, ['ls-remote', gh.gitUrl], TOKEN)).stdout, /refs\/heads\/main/)
  t.ok(gh.gitRequests.some((r) => r.status === 401))
})

t.test('git push and fetch with the token; a protected main refuses pushes (GH006)', async (t) => {
  const gh = await fake(t, { protectMain: true })
  const sha = await pushBranch(t, gh, 'feature', { 'a.txt': 'a\n' })
  t.equal((await git(gh.bareRepo, ['rev-parse', 'feature'])).stdout, sha, 'pushed to the bare repository')
  const dir = tmpDir(t)
  const fetched = await git(dir, ['clone', '-q', '--branch', 'feature', gh.gitUrl, 'c'], TOKEN)
  t.equal(fetched.code, 0)
  t.equal(fs.readFileSync(path.join(dir, 'c', 'a.txt'), 'utf8'), 'a\n', 'fetched back')
  const before = (await git(gh.bareRepo, ['rev-parse', 'main'])).stdout
  const refused = await git(path.join(dir, 'c'), ['push', 'origin', 'HEAD:refs/heads/main'], TOKEN)
  t.not(refused.code, 0)
  t.match(refused.stderr, /GH006/)
  t.equal((await git(gh.bareRepo, ['rev-parse', 'main'])).stdout, before, 'main did not move')
})

t.test('GitHub App: a JWT buys installation tokens that work on API and git until they expire', async (t) => {
  const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 })
  let clock = Date.now()
  const gh = await fake(t, { token: undefined, app: { id: 4242, installationId: 77, publicKeyPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(), tokenTtlMs: 60_000 }, now: () => clock })
  const jwt = (iss: number) => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url')
    const now = Math.floor(clock / 1000)
    const data = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ iat: now - 30, exp: now + 540, iss })}`
    return `${data}.${createSign('RSA-SHA256').update(data).sign(privateKey).toString('base64url')}`
  }
  const installation = await api(gh, 'GET', '/repos/acme/infra/installation', undefined, `Bearer ${jwt(4242)}`)
  t.match(installation, { status: 200, body: { id: 77, app_id: 4242 } })
  t.equal((await api(gh, 'GET', '/repos/acme/infra/installation', undefined, `Bearer ${jwt(1)}`)).status, 401, 'a JWT of another App')
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, `Bearer ${jwt(4242)}`)).status, 401, 'a JWT is only good for the App endpoints')
  const issued = await api(gh, 'POST', '/app/installations/77/access_tokens', undefined, `Bearer ${jwt(4242)}`)
  t.equal(issued.status, 201)
  const token: string = issued.body.token
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, `token ${token}`)).status, 200)
  const dir = tmpDir(t)
  t.equal((await git(dir, ['ls-remote', gh.gitUrl], token)).code, 0, 'git takes the installation token')
  clock += 60_000
  t.equal((await api(gh, 'GET', '/repos/acme/infra/pulls', undefined, `token ${token}`)).status, 401, 'expired on the API')
  t.not((await git(dir, ['ls-remote', gh.gitUrl], token)).code, 0, 'expired on git')
  t.same(gh.violations, [])
})
