import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import { serveApi } from './api.js'
import { Auth } from './auth.js'
import { createBareRepo } from './bare-repo.js'
import { serveGit } from './git-http.js'
import { Hub } from './hub.js'
import { idOf, isoSeconds, type Site } from './objects.js'
import type { PullRecord } from './pull-objects.js'
import { openApiValidator } from './openapi-validator.js'
import { SecondaryRateLimit } from './rate-limit.js'
import type { FakeGitHub, FakeGitHubOptions, FakeGitHubTestHooks } from './types.js'
import { WebhookSender } from './webhooks.js'

export type * from './types.js'

/**
 * A fake GitHub for tests, on 127.0.0.1: the REST operations infra-sync calls (under /api/v3, the GHES shape),
 * GraphQL (/api/v3/graphql and /api/graphql), git smart HTTP for one repository (real `git http-backend`), and
 * pull_request webhooks. Requests and answers are checked against GitHub's published descriptions; what does
 * not match lands in `violations`, which tests assert stays empty.
 * It answers from the test's own process: run git against it asynchronously (execFile), never execFileSync,
 * which would block the very server git is waiting for.
 */
export async function startFakeGitHub(opts: FakeGitHubOptions): Promise<FakeGitHub> {
  const owner = opts.owner ?? 'acme'
  const repo = opts.repo ?? 'infra'
  const branch = opts.branch ?? 'main'
  const dir = fs.mkdtempSync(`${os.tmpdir()}/fake-github-`)
  const now = opts.now ?? Date.now
  const started = now()
  const validator = openApiValidator()
  const auth = new Auth(
    opts.token === undefined ? undefined : { token: opts.token, login: opts.tokenLogin ?? 'infra-sync-bot' },
    opts.app && { id: opts.app.id, installationId: opts.app.installationId, publicKeyPem: opts.app.publicKeyPem, tokenTtlMs: opts.app.tokenTtlMs ?? 3_600_000, slug: opts.app.slug ?? 'infra-sync' },
    now,
  )
  let bare: string
  try {
    bare = await createBareRepo(dir, owner, repo, branch, opts.files, opts.protectMain ?? false)
  } catch (err) {
    fs.rmSync(dir, { recursive: true, force: true })
    throw err
  }

  const server = http.createServer()
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  const site: Site = { web: url, api: `${url}/api/v3`, owner, repo, branch, since: isoSeconds(started) }
  const violations: string[] = []
  const webhooks = new WebhookSender(validator, violations, idOf('hook', `${owner}/${repo}`), idOf('repo', `${owner}/${repo}`))
  if (opts.webhook) webhooks.target = { ...opts.webhook }
  const hub = new Hub(site, bare, auth, validator, webhooks, violations, { requiredChecks: opts.requiredChecks ?? false, ...(opts.collaborators && { collaborators: opts.collaborators }) })
  const state: { hooks: FakeGitHubTestHooks } = { hooks: {} }
  const limiter = new SecondaryRateLimit(opts.rateLimit, started, now)
  const gitPrefix = `/${owner}/${repo}.git/`

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const u = new URL(req.url ?? '/', url)
    const fail = (err: unknown) => {
      violations.push(`the fake failed on ${req.method} ${u.pathname}: ${err instanceof Error ? err.message : String(err)}`)
      if (!res.headersSent) res.writeHead(500).end()
    }
    try {
      if (u.pathname.startsWith(gitPrefix)) return serveGit(bare, auth, hub.gitRequests, req, res, u.pathname, u.search.slice(1))
      if (u.pathname.startsWith('/api/v3/') || u.pathname === '/api/graphql') {
        const apiPath = u.pathname === '/api/graphql' ? '/graphql' : u.pathname.slice('/api/v3'.length)
        serveApi({ hub, limiter, hooks: () => state.hooks, defaultLogin: opts.tokenLogin ?? 'infra-sync-bot' }, req, res, apiPath, u.searchParams).catch(fail)
        return
      }
      req.resume()
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found\n')
    } catch (err) {
      fail(err)
    }
  })

  const pullOrThrow = (n: number): PullRecord => {
    const pr = hub.pulls.get(n)
    if (!pr) throw new Error(`fake GitHub: no pull request #${n}`)
    return pr
  }

  return {
    url,
    apiUrl: site.api,
    gitUrl: `${url}/${owner}/${repo}.git`,
    bareRepo: bare,
    pulls: hub.pulls,
    statuses: hub.statuses,
    deployments: hub.deployments,
    requests: hub.requests,
    gitRequests: hub.gitRequests,
    violations,
    webhookDeliveries: webhooks.deliveries,
    get testHooks() {
      return state.hooks
    },
    set testHooks(h: FakeGitHubTestHooks) {
      state.hooks = h
    },
    setWebhook(target: string, secret: string) {
      webhooks.target = { url: target, secret }
    },
    async mergeByPerson(number, login, method = 'merge') {
      const r = await hub.exclusive(async () => {
        const pr = pullOrThrow(number)
        if (pr.state !== 'open') throw new Error(`fake GitHub: #${number} is not open`)
        // A person with admin rights may merge past required checks; conflicts still stop them.
        return hub.merge(pr, { login, method, force: true })
      })
      if (r.kind !== 'merged') throw new Error(`fake GitHub: #${number} could not be merged (${r.kind})`)
      await r.delivered
      return r.sha
    },
    async close(number, login = 'octocat') {
      const { delivered } = await hub.exclusive(async () => {
        const pr = pullOrThrow(number)
        if (pr.state !== 'open') throw new Error(`fake GitHub: #${number} is not open`)
        return hub.close(pr, login)
      })
      await delivered
    },
    async passChecks(number) {
      const delivered = await hub.exclusive(async () => {
        const pr = pullOrThrow(number)
        await hub.refresh()
        pr.checksPassedSha = pr.headSha
        hub.touch(pr)
        if (pr.state !== 'open' || !pr.autoMerge) return undefined
        const { enabledBy, method } = pr.autoMerge
        const r = await hub.merge(pr, { login: enabledBy, method: method.toLowerCase() as 'merge' | 'squash' | 'rebase' })
        if (r.kind !== 'merged') throw new Error(`fake GitHub: auto-merge of #${number} failed (${r.kind})`)
        return r.delivered
      })
      await delivered
    },
    async stop() {
      server.closeAllConnections()
      await new Promise<void>((r) => server.close(() => r()))
      await webhooks.settle()
      fs.rmSync(dir, { recursive: true, force: true })
    },
  }
}
