import { Validator } from '@seriousme/openapi-schema-validator'
import t from 'tap'
import { buildApp } from '../../src/http/app.js'
import { appDeps } from '../helpers/app-deps.js'

/**
 * /openapi.json is a valid OpenAPI document generated from the route schemas,
 * and it names every route the server has (but its own two); /docs serves
 * the browsable reference.
 */
t.test('the served OpenAPI document is valid and complete', async (t) => {
  const app = await buildApp(appDeps({ infraRepos: [{ ref: { location: 'https://github.com/acme/infra.git', branch: 'main' }, onPush: () => {}, onPullRequest: () => {} }] }))
  t.teardown(() => app.close())
  const res = await app.inject({ method: 'GET', url: '/openapi.json' })
  t.equal(res.statusCode, 200)
  const doc = res.json() as { openapi: string; paths: Record<string, Record<string, { requestBody?: unknown }>> }
  const result = await new Validator().validate(doc)
  t.same(result.errors ?? [], [], 'valid OpenAPI')
  t.ok(result.valid)
  t.match(doc.openapi, /^3\./)

  const documented = new Set(Object.entries(doc.paths).flatMap(([p, ops]) => Object.keys(ops).map((m) => `${m.toUpperCase()} ${p}`)))
  // fastify's :param is OpenAPI's {param}; HEAD routes are GET's shadows; the description's own routes are left out.
  const routes = app.routeList.filter((r) => r.method !== 'HEAD' && !/^\/(openapi\.json|docs)(\/|$)/.test(r.url)).map((r) => `${r.method} ${r.url.replace(/:(\w+)/g, '{$1}')}`)
  t.ok(routes.length >= 8, `the server has its routes: ${routes.join(', ')}`)
  for (const r of routes) t.ok(documented.has(r), `${r} is in the document`)
  t.ok(doc.paths['/v1/events']?.post?.requestBody, 'the event body is described')

  const docs = await app.inject({ method: 'GET', url: '/docs/' })
  t.equal(docs.statusCode, 200)
  t.match(docs.headers['content-type'], /text\/html/)
})
