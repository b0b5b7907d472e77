import type { FastifyInstance } from 'fastify'

/**
 * Signatures are over the exact bytes sent, so bodies reach the handlers
 * unparsed; JSON is the only type taken (anything else is 415). Scoped to the
 * plugin that calls it.
 */
export function rawJsonBody(app: FastifyInstance, bodyLimit: number): void {
  app.removeAllContentTypeParsers()
  app.addContentTypeParser('application/json', { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body))
}
