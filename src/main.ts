import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import type { FastifyInstance } from 'fastify'
import { pino, type Logger } from 'pino'
import type { Config } from './config/config.js'
import { editorFor } from './editors/registry.js'
import { decodeUtf8 } from './editors/yaml-text.js'
import { HttpRemote } from './git/http-remote.js'
import { LocalRemote } from './git/local-remote.js'
import type { Remote } from './git/remote.js'
import { seedRepo } from './git/seed-repo.js'
import { GitSnapshot } from './git/snapshot.js'
import { buildApp, REDACT } from './http/app.js'
import { buildKeys } from './intake/secrets.js'
import { Metrics } from './observability/metrics.js'
import { tagVersion } from './policies/semver.js'
import { loadRegistry } from './projects/registry.js'
import { SqliteStore } from './store/sqlite-store.js'
import type { Store } from './store/store.js'
import { Worker } from './worker/worker.js'

/** The package folder (holds services/ and infra-template/), whether running from dist/ or src/. */
export const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')

export interface Server {
  readonly app: FastifyInstance
  readonly worker: Worker
  readonly store: Store
  readonly remote: Remote
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
}

export function createLogger(level: string): Logger {
  return pino({ level, redact: { paths: [...REDACT, 'token', 'secret', '*.token', '*.secret'], censor: '[redacted]' } })
}

/** The only place that knows every concrete class: wires config into store, remote, worker and HTTP app. */
export async function startServer(config: Config, opts: StartOptions = {}): Promise<Server> {
  const log = opts.logger ?? createLogger(config.logLevel)
  const clock = opts.clock ?? (() => new Date())
  fs.mkdirSync(config.dataDir, { recursive: true })

  if (config.embeddedRepo) {
    const seeded = await seedRepo(config.repo.location, config.repo.branch, [
      { from: path.join(PACKAGE_ROOT, 'services'), to: 'services' },
      { from: path.join(PACKAGE_ROOT, 'infra-template', 'argocd'), to: 'argocd' },
    ], config.author)
    if (seeded) log.info({ repo: config.repo.location, commit: seeded }, 'seeded the embedded infra repo from services/ and infra-template/argocd/')
  }

  const store = SqliteStore.fromUrl(config.databaseUrl)
  await store.init()
  const cache = {}
  const remote: Remote =
    config.repo.kind === 'http'
      ? new HttpRemote({
          url: config.repo.location,
          branch: config.repo.branch,
          clonesDir: path.join(config.dataDir, 'repos'),
          cache,
          ...(config.repo.token && { token: config.repo.token }),
          ...(config.repo.username && { username: config.repo.username }),
        })
      : new LocalRemote(config.repo.location, config.repo.branch)
  await remote.prepare()

  const metrics = new Metrics()
  const worker = new Worker({ store, remote, cache, log, metrics, clock, options: { ...config.worker, author: config.author } })
  const keys = buildKeys(config.secrets.bySource, config.secrets.fallback)
  const app = await buildApp({
    logger: log,
    store,
    keys: () => keys,
    clock,
    metrics,
    onAccepted: () => worker.wake(),
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
      // The remote does not gate readiness: events are accepted and wait while it is down.
      checks.repo = worker.lastHead === undefined ? 'not synced yet' : 'ok'
      const counts = await store.counts().catch(() => ({}) as Record<string, number>)
      metrics.pending.set((counts.queued ?? 0) + (counts.failed ?? 0))
      return { ready, checks }
    },
  })

  if (config.secrets.generatedFallbackFile) {
    log.warn({ file: config.secrets.generatedFallbackFile }, 'no webhook secret configured: using a generated development secret (set INFRA_SYNC_SECRET or per-source secrets for anything real)')
  } else if (config.secrets.fallback.length > 0) {
    log.warn({}, 'INFRA_SYNC_SECRET is a shared fallback secret for every source without its own: meant for development')
  }

  let url: string | undefined
  if (opts.listen !== false) {
    url = await app.listen({ port: config.port, host: config.host })
  }
  worker.start()

  // For the newcomer on the embedded default; a configured deployment does not need it in its logs.
  const newcomer = config.embeddedRepo || config.secrets.generatedFallbackFile !== undefined
  const example = newcomer ? await exampleCommand(remote, cache, config, url).catch(() => undefined) : undefined
  log.info(
    { url, data: config.dataDir, store: config.databaseUrl.replace(/\/\/[^@]*@/, '//'), repo: remote.description, branch: config.repo.branch },
    `infra-sync is up${config.embeddedRepo ? ` (embedded infra repo: git -C ${config.repo.location} log -p)` : ''}`,
  )
  if (example) process.stderr.write(`\nSend a signed event:\n\n${example}\n\n`)

  let closed = false
  return {
    app,
    worker,
    store,
    remote,
    metrics,
    url,
    async close() {
      if (closed) return
      closed = true
      await app.close()
      await worker.stop()
      await store.close()
      await remote.close()
    },
  }
}

/** A ready-to-paste curl + openssl command that bumps the first service that commits, when the secret is on disk. */
async function exampleCommand(remote: Remote, cache: object, config: Config, url: string | undefined): Promise<string | undefined> {
  const secretFile = config.secrets.generatedFallbackFile
  if (!url) return undefined
  const head = await remote.sync()
  if (!head) return undefined
  const snapshot = await GitSnapshot.at(remote.gitdir, head, cache)
  const registry = await loadRegistry(snapshot)
  for (const s of registry.services.values()) {
    const t = s.targets.find((x) => x.update === 'commit' && x.file)
    if (!s.config || !t) continue
    const bytes = await snapshot.read(t.file!)
    const current = bytes ? editorFor(t.file!).read(decodeUtf8(bytes), s.config.imageAsWritten) : null
    const v = tagVersion(current?.tag)
    const tag = v ? `${v.major}.${v.minor}.${v.patch + 1}` : `example-${Date.now()}`
    const body = JSON.stringify({ source: s.config.source, image: s.config.image, tag, ref: 'refs/heads/main', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8' })
    return [
      secretFile ? `SECRET=$(cat ${secretFile})` : `SECRET=$INFRA_SYNC_SECRET   # or the source's own secret`,
      `BODY='${body}'`,
      `ID=evt-$(date +%s%N); TS=$(date +%s)`,
      `SIG=$(printf '%s' "$ID.$TS.$BODY" | openssl dgst -sha256 -hmac "$SECRET" -binary | base64)`,
      `curl -sS ${url}/v1/events -H 'content-type: application/json' -H "webhook-id: $ID" -H "webhook-timestamp: $TS" -H "webhook-signature: v1,$SIG" -d "$BODY"`,
      `# then: curl -sS ${url}/v1/events/<id>   and   git -C ${config.repo.kind === 'local' ? config.repo.location : remote.gitdir} log -p -1`,
    ].join('\n')
  }
  return undefined
}
