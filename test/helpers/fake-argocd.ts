import fs from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Ajv, type ValidateFunction } from 'ajv'

/**
 * A fake Argo CD API server: GET /api/v1/applications/{name} with a bearer
 * token, answering with the Applications a test sets. Every answer is checked
 * against test/fixtures/argocd/swagger.json, the part of Argo CD's published
 * description (assets/swagger.json, `npm run argocd-openapi`) that
 * infra-sync uses: an answer that does not conform is a 500 and a recorded
 * violation, so a test cannot drive infra-sync with a shape Argo CD never sends.
 */
const FIXTURE = new URL('../fixtures/argocd/swagger.json', import.meta.url)
const DOC_ID = 'https://fake-argocd.test/swagger.json'
const DATE_TIME = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|[+-]\d\d:\d\d)$/i

let compiled: { application: ValidateFunction; error: ValidateFunction } | undefined

function validators(): NonNullable<typeof compiled> {
  if (compiled) return compiled
  const doc = JSON.parse(fs.readFileSync(FIXTURE, 'utf8')) as { definitions: Record<string, unknown> }
  const ajv = new Ajv({ strict: false, allErrors: false, logger: false, formats: { 'date-time': DATE_TIME, int64: true, int32: true, byte: true } })
  ajv.addSchema({ $id: DOC_ID, definitions: doc.definitions })
  compiled = { application: ajv.compile({ $ref: `${DOC_ID}#/definitions/v1alpha1Application` }), error: ajv.compile({ $ref: `${DOC_ID}#/definitions/runtimeError` }) }
  return compiled
}

export interface FakeArgoCd {
  readonly url: string
  readonly token: string
  /** Sets (or replaces) an Application's status; metadata and spec are filled in. */
  setStatus(name: string, status: Record<string, unknown>): void
  /** Requests received, by Application name. */
  readonly requests: string[]
  /** Answers that did not conform to Argo CD's description (each one was sent as a 500). */
  readonly violations: string[]
  close(): Promise<void>
}

export async function startFakeArgoCd(token = 'argocd-test-token-0123456789'): Promise<FakeArgoCd> {
  const apps = new Map<string, Record<string, unknown>>()
  const requests: string[] = []
  const violations: string[] = []
  const v = validators()
  const send = (res: http.ServerResponse, status: number, body: unknown, check: ValidateFunction) => {
    if (!check(body)) {
      violations.push(`${status}: ${JSON.stringify(check.errors?.[0])}`)
      res.writeHead(500, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'the fake was asked to send an answer Argo CD never sends', code: 13, message: 'nonconformant' }))
      return
    }
    res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body))
  }
  const server = http.createServer((req, res) => {
    const m = /^\/api\/v1\/applications\/([a-z0-9]([-a-z0-9]*[a-z0-9])?)(\?.*)?$/.exec(req.url ?? '')
    if (req.method !== 'GET' || !m) return send(res, 404, { error: 'Not Found', code: 5, message: 'Not Found' }, v.error)
    if (req.headers.authorization !== `Bearer ${token}`) return send(res, 401, { error: 'invalid session', code: 16, message: 'invalid session' }, v.error)
    const name = m[1]!
    requests.push(name)
    const status = apps.get(name)
    if (!status) return send(res, 404, { error: `applications.argoproj.io "${name}" not found`, code: 5, message: `applications.argoproj.io "${name}" not found` }, v.error)
    const body = {
      metadata: { name, namespace: 'argocd', uid: `uid-${name}`, resourceVersion: String(requests.length) },
      spec: { project: 'default', source: { repoURL: 'https://github.com/acme/infra.git', path: `services/${name}`, targetRevision: 'main' }, destination: { server: 'https://kubernetes.default.svc', namespace: name } },
      status,
    }
    send(res, 200, body, v.application)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    token,
    setStatus: (name, status) => apps.set(name, status),
    requests,
    violations,
    close: () => new Promise((r) => server.close(() => r())),
  }
}
