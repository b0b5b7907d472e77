import type { FastifyInstance } from 'fastify'
import { readFileSync } from 'node:fs'

/** The package root's dashboard/, three folders up from src/http/routes and dist/http/routes alike. */
const DIR = new URL('../../../dashboard/', import.meta.url)

const ASSETS = {
  '/dashboard': { file: 'index.html', type: 'text/html; charset=utf-8' },
  '/dashboard/dashboard.js': { file: 'dashboard.js', type: 'text/javascript; charset=utf-8' },
  '/dashboard/dashboard.css': { file: 'dashboard.css', type: 'text/css; charset=utf-8' },
} as const

/**
 * The page holds no data: it reads the operator API with the admin token the
 * person types (kept in the tab's sessionStorage), so it needs no token of its
 * own. Nothing but this origin's own script, style and API calls may run in it.
 */
const HEADERS = {
  'content-security-policy': "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'",
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
}

/** A page for people (dashboard/): what needs attention (with Retry), what runs where, recent deployments. */
export async function dashboardRoutes(app: FastifyInstance): Promise<void> {
  for (const [url, asset] of Object.entries(ASSETS)) {
    // Read once at start: the files ship with the package and do not change under a running server.
    const body = readFileSync(new URL(asset.file, DIR), 'utf8')
    app.get(url, { schema: { summary: url === '/dashboard' ? 'The dashboard: a page for people, reading GET /v1/services, /v1/events and /v1/deployments with the admin token.' : "The dashboard's own script or style.", response: { 200: { type: 'string' } } } }, async (_req, reply) => {
      void reply.headers({ ...HEADERS, 'content-type': asset.type })
      return body
    })
  }
}
