import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { pino, type Logger } from 'pino'
import type { Config, ForgeConfig } from './config/config.js'
import { buildApp, REDACT } from './http/app.js'
import { commitWebUrl } from './forges/commit-web-url.js'
import { failpoint } from './failpoints.js'
import { GithubTrust } from './intake/github-trust.js'
import { MemoryRateLimiter } from './intake/rate-limit.js'
import { buildKeys } from './intake/secrets.js'
import { Metrics } from './observability/metrics.js'
import { redactUrl } from './git/http-client.js'
import { describeStoreUrl, openStore } from './store/open-store.js'
import { RepoStores, type IntakeStore } from './store/repo-stores.js'
import { WorkerHost } from './worker/worker-host.js'
import { RepoWorkers } from './worker/repo-workers.js'

/** The package folder (holds services/ and infra-template/), whether running from dist/ or src/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface Server {
  readonly app: FastifyInstance
  /** The first repo's worker (the one repo, unless `repos:` lists several). */
  readonly worker: WorkerHost
  readonly workers: RepoWorkers
  readonly store: IntakeStore
  readonly metrics: Metrics
  /** Where it listens, when it does. */
  readonly url: string | undefined
  close(): Promise<void>
}

export interface StartOptions {
  readonly logger?: Logger
  /** Listen on config.port; false for tests that inject. */
  readonly listen?: boolean
  readonly clock?: () => Date
  /** The worker thread's entry module and node flags (see WorkerHost). */
  readonly workerThread?: { readonly entry?: URL; readonly execArgv?: string[] }
}

/** JSON lines on stdout, written asynchronously (a synchronous write per request showed in the intake profile); flushed on exit. */
export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: [...REDACT, 'token', 'secret', 'privateKey', '*.token', '*.secret', '*.privateKey'], censor: '[redacted]' } }, pino.destination({ dest: 1, sync: false }))
}

/**
 * The only place that knows every concrete class. The main thread runs the
 * HTTP intake and reads; the worker (plan, edit, push) runs on its own thread
 * with its own store connection, so deploys never hold up a webhook's answer.
 */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Server> {
  const log = opts.logger ?? createLogger(config.logLevel)
  const clock = opts.clock ?? (() => new Date())
  fs.mkdirSync(config.dataDir, { recursive: true })

  if (config.embeddedRepo) {
    // Loaded only here: the main thread otherwise has no use for the git libraries (the worker thread does the git work).
    const { seedRepo } = await import('./git/seed-repo.js')
    const seeded = await seedRepo(config.repo.location, config.repo.branch, [
      { from: path.join(PACKAGE_ROOT, 'services'), to: 'services' },
      { from: path.join(PACKAGE_ROOT, 'infra-template', 'argocd'), to: 'argocd' },
      // So the template's yaml-language-server modeline (../../schemas/…) finds its schema in a clone of the embedded repo.
      { from: path.join(PACKAGE_ROOT, 'schemas'), to: 'schemas' },
    ], config.author)
    if (seeded) log.info({ repo: config.repo.location, commit: seeded }, 'seeded the embedded infra repo from services/ and infra-template/argocd/')
  }

  // One namespace of the store per repo named in repos: (open-store.ts); the one repo of INFRA_SYNC_REPO keeps the default.
  const store = new RepoStores(await Promise.all(config.repos.map(async (r) => ({ name: r.name ?? 'default', store: await openStore(config.databaseUrl, 'intake', r.name) }))))
  await store.init()
  const metrics = new Metrics()
  const workers = new RepoWorkers(
    config.repos.map((repo) => ({
      repo,
      host: new WorkerHost(
        // The repo carries the forge (and its credentials) to the thread that opens pull requests.
        { repo, dataDir: config.dataDir, databaseUrl: config.databaseUrl, author: config.author, worker: config.worker, sourceReports: config.sourceReports, notifications: config.notifications, windows: config.windows, ...(config.argocd && { argocd: config.argocd }) },
        config.repos.length > 1 ? log.child({ repo: repo.name }) : log,
        metrics,
        opts.workerThread,
      ),
    })),
  )
  const worker = workers.first
  try {
    await workers.start()
  } catch (e) {
    await store.close()
    throw e
  }
  const keys = buildKeys(config.secrets.bySource, config.secrets.fallback)
  let app: FastifyInstance
  try {
    app = await buildApp({
      logger: log,
      store,
      keys: () => keys,
      clock,
      metrics,
      // The store's buckets when it has them (PostgreSQL: one bucket per source across replicas), else this process's.
      limiter: store.rateLimiter?.(config.rateLimit) ?? new MemoryRateLimiter(config.rateLimit, () => clock().getTime()),
      emergencySources: config.emergencySources,
      github: new GithubTrust(config.secrets.github, config.secrets.githubBySource, config.secrets.bySource.keys()),
      infraRepos: workers.workers.map((w) => ({ ref: { location: w.repo.location, branch: w.repo.branch }, onPush: () => w.host.refresh(), onPullRequest: (n: number) => w.host.pullRequest(n) })),
      adminToken: config.adminToken,
      argocdWebhookToken: config.argocd?.webhookToken,
      onArgoCd: (application: string) => workers.workers.forEach((w) => w.host.argocd(application)),
      adminLoopback: config.embeddedRepo,
      commitUrl: commitUrls(config),
      services: (service?: string) => workers.services(service),
      failpoint,
      timeouts: { headersMs: config.http.headersTimeoutMs, requestMs: config.http.requestTimeoutMs },
      onAccepted: () => workers.wake(),
      readiness: async () => {
        const checks: Record<string, string> = {}
        let ready = true
        try {
          await store.ping()
          checks.store = 'ok'
        } catch {
          checks.store = 'unavailable'
          ready = false
        }
        // Not ready until the repo was fetched once since start; after that a failing remote leaves it ready (events wait), saying `degraded`.
        const repos = workers.readiness()
        Object.assign(checks, repos.checks)
        ready &&= repos.ready
        const counts = await store.counts().catch(() => ({}) as Record<string, number>)
        metrics.pending.set((counts.queued ?? 0) + (counts.failed ?? 0))
        return { ready, degraded: repos.degraded, checks, ...repos.body }
      },
    })
  } catch (e) {
    // A server that cannot start must not leave its worker threads running.
    await workers.stop()
    await store.close()
    throw e
  }

  if (config.secrets.generatedFallbackFile) {
    log.warn({ file: config.secrets.generatedFallbackFile }, 'no webhook secret configured: using a generated development secret (set INFRA_SYNC_SECRET or per-source secrets for anything real)')
  } else if (config.secrets.fallback.length > 0) {
    log.warn({}, 'INFRA_SYNC_SECRET is a shared fallback secret for every source without its own: meant for development')
  }

  let url: string | undefined
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host })
  }

  log.info(
    { url, data: config.dataDir, store: describeStoreUrl(config.databaseUrl), repo: config.repo.kind === 'http' ? redactUrl(config.repo.location) : config.repo.location, branch: config.repo.branch, ...(config.repo.forge && { forge: describeForge(config.repo.forge) }) },
    `infra-sync is up${config.embeddedRepo ? ` (embedded infra repo: git -C ${config.repo.location} log -p)` : ''}`,
  )
  // For the newcomer on the embedded default; a configured deployment does not need it in its logs.
  if (url && (config.embeddedRepo || config.secrets.generatedFallbackFile)) {
    const body = await worker.example().catch(() => null)
    if (body) process.stderr.write(`\nSend a signed event:\n\n${exampleCommand(body, config, url)}\n\nThen watch it on the dashboard: ${url}/dashboard\n\n`)
  }

  let closed = false
  return {
    app,
    worker,
    workers,
    store,
    metrics,
    url,
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await workers.stop()
      await store.close()
    },
  }
}

/** Each repo's commit pages, by the repo's name (the one repo: the only function). */
function commitUrls(config: Config): (sha: string, repo?: string) => string | undefined {
  const byName = new Map(config.repos.map((r) => [r.name ?? 'default', commitWebUrl(r)]))
  const only = commitWebUrl(config.repo)
  return (sha, repo) => (repo === undefined ? only?.(sha) : byName.get(repo)?.(sha))
}

/** The forge for the start-up line: where and as whom, never the token or the key. */
function describeForge(f: ForgeConfig): string {
  return `${f.kind} ${f.owner}/${f.repo} via ${f.apiUrl} as ${f.auth.kind === 'app' ? `App ${f.auth.appId}` : 'a token'}`
}

/** A ready-to-paste curl + openssl command that sends `body`, signed. */
function exampleCommand(body: Record<string, string>, config: Config, url: string): string {
  const secretFile = config.secrets.generatedFallbackFile
  const where = config.repo.kind === 'local' ? `git -C ${config.repo.location} log -p -1` : 'the infra repo'
  return [
    secretFile ? `SECRET=$(cat ${secretFile})` : `SECRET=$INFRA_SYNC_SECRET   # or the secret of the source named in infra-sync-source`,
    `BODY='${JSON.stringify(body)}'`,
    `ID=evt-$(date +%s%N); TS=$(date +%s)`,
    `SIG=$(printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)`,
    `curl -sS ${url}/v1/events -H 'content-type: application/json' -H 'infra-sync-source: ${body.source}' -H "webhook-id: $ID" -H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" -d "$BODY"`,
    `# then: curl -sS ${url}/v1/events/<id>   and   ${where}`,
  ].join('\n')
}
