import Fastify, { type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import { errorHandler } from './error-handler.js'
import { eventRoutes, type EventRoutesDeps } from './routes/events.js'
import { healthRoutes, type HealthRoutesDeps } from './routes/health.js'

export interface AppDeps extends EventRoutesDeps, HealthRoutesDeps {
  readonly logger?: FastifyBaseLogger | false
}

/** Redacted wherever a request is logged: signatures and credentials. */
export const REDACT = ['req.headers.authorization', 'req.headers["webhook-signature"]', 'req.headers["x-hub-signature-256"]', 'req.headers["x-hub-signature"]', 'req.headers.cookie']

/** The HTTP app, never listening: main.ts listens, tests inject. */
export async function buildApp(deps: AppDeps): Promise<FastifyInstance> {
  const app: FastifyInstance = Fastify({
    ...(deps.logger ? { loggerInstance: deps.logger } : { logger: false }),
    bodyLimit: 1024 * 1024,
    return503OnClosing: true,
    requestIdHeader: false,
  })
  app.setErrorHandler(errorHandler)
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ code: 'NOT_FOUND', reason: `no route ${req.method} ${req.url.split('?')[0]}` })
  })
  await app.register(eventRoutes, deps)
  await app.register(healthRoutes, deps)
  return app
}
