import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { errorHandler } from './error-handler.js'
import { openApi } from './openapi.js'
import { dashboardRoutes } from './routes/dashboard.js'
import { deploymentRoutes } from './routes/deployments.js'
import { argocdRoutes, type ArgoCdRoutesDeps } from './routes/argocd.js'
import { eventRoutes, type EventRoutesDeps } from './routes/events.js'
import { githubRoutes, type GithubRoutesDeps } from './routes/github.js'
import { healthRoutes, type HealthRoutesDeps } from './routes/health.js'
import { pinRoutes } from './routes/pins.js'
import { rollbackRoutes } from './routes/rollbacks.js'
import { serviceRoutes, type ServiceRoutesDeps } from './routes/services.js'

export interface AppDeps extends EventRoutesDeps, GithubRoutesDeps, HealthRoutesDeps, ServiceRoutesDeps, ArgoCdRoutesDeps {
  readonly logger?: FastifyBaseLogger | false
  readonly timeouts?: HttpTimeouts
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered, in order (HEAD included). */
    readonly routeList: readonly { readonly method: string; readonly url: string }[]
  }
}

/** Slow or stalled clients are cut off: a request's headers, and the whole request, each have a deadline. */
export interface HttpTimeouts {
  readonly headersMs: number
  readonly requestMs: number
}

export const DEFAULT_TIMEOUTS: HttpTimeouts = { headersMs: 10_000, requestMs: 30_000 }

/** Redacted wherever a request is logged: signatures and credentials. */
export const REDACT = ['req.headers.authorization', 'req.headers["webhook-signature"]', 'req.headers["x-hub-signature-256"]', 'req.headers["x-hub-signature"]', 'req.headers.cookie']

/** The HTTP app, never listening: main.ts listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    requestIdHeader: false,
    requestTimeout: (deps.timeouts ?? DEFAULT_TIMEOUTS).requestMs,
    connectionTimeout: (deps.timeouts ?? DEFAULT_TIMEOUTS).requestMs,
    // One line per request, written below, instead of fastify's two.
    logController: new LogController({ disableRequestLogging: true }),
  })
  app.server.headersTimeout = (deps.timeouts ?? DEFAULT_TIMEOUTS).headersMs
  app.setErrorHandler(errorHandler)
  app.addHook('onResponse', async (req, reply) => {
    // Refusals are worth reading (who sends what); successes are counted in /metrics and logged by the routes.
    const line = { method: req.method, url: req.url.split('?')[0], status: reply.statusCode, ms: Math.round(reply.elapsedTime * 100) / 100 }
    deps.metrics.httpDuration.observe({ method: req.method, route: req.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) }, reply.elapsedTime / 1000)
    if (reply.statusCode >= 400) req.log.info(line, 'request refused')
    else req.log.debug(line, 'request')
  })
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', reason: `no route ${req.method} ${req.url.split('?')[0]}` })
  })
  // Every route as registered, for the test that checks the OpenAPI document names them all.
  const routeList: { method: string; url: string }[] = []
  app.addHook('onRoute', (r) => {
    for (const method of [r.method].flat()) routeList.push({ method, url: r.url })
  })
  app.decorate('routeList', routeList)
  await openApi(app)
  await app.register(eventRoutes, deps)
  await app.register(deploymentRoutes, deps)
  await app.register(rollbackRoutes, deps)
  await app.register(pinRoutes, deps)
  await app.register(serviceRoutes, deps)
  await app.register(githubRoutes, deps)
  await app.register(argocdRoutes, deps)
  await app.register(healthRoutes, deps)
  await app.register(dashboardRoutes)
  return app
}
