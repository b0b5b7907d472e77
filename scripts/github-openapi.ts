// `npm run github-openapi`: writes test/fixtures/github/openapi.json, the part of GitHub's published REST
// description that the fake GitHub (test/helpers/fake-github) checks its requests and answers against.
// The whole package unpacks to ~385 MB, so it is fetched here once, never installed as a dependency.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const PACKAGE = '@octokit/openapi'
const VERSION = '23.0.2'
/** The file with $refs (13 MB) rather than the dereferenced one (73 MB): the subset keeps its shared components once. */
const SOURCE = 'package/generated/api.github.com.json'

/** The operations infra-sync's GitHub forge calls (POST /graphql is not in the REST description). */
export const OPERATIONS: readonly (readonly [string, string])[] = [
  ['get', '/repos/{owner}/{repo}/pulls'],
  ['post', '/repos/{owner}/{repo}/pulls'],
  ['get', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['patch', '/repos/{owner}/{repo}/pulls/{pull_number}'],
  ['put', '/repos/{owner}/{repo}/pulls/{pull_number}/merge'],
  ['post', '/repos/{owner}/{repo}/issues/{issue_number}/labels'],
  ['post', '/repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers'],
  ['post', '/repos/{owner}/{repo}/statuses/{sha}'],
  ['get', '/repos/{owner}/{repo}/commits/{ref}/status'],
  ['post', '/repos/{owner}/{repo}/deployments'],
  ['post', '/repos/{owner}/{repo}/deployments/{deployment_id}/statuses'],
  ['get', '/repos/{owner}/{repo}/installation'],
  ['post', '/app/installations/{installation_id}/access_tokens'],
]

/** Webhook payloads the fake sends (from the description's x-webhooks). */
export const WEBHOOKS: readonly string[] = ['pull-request-closed']

type Json = null | boolean | number | string | Json[] | { [k: string]: Json }

function download(tmp: string): Record<string, Json> {
  execFileSync('npm', ['pack', `${PACKAGE}@${VERSION}`, '--pack-destination', tmp, '--silent'], { stdio: ['ignore', 'ignore', 'inherit'] })
  const tgz = fs.readdirSync(tmp).find((f) => f.endsWith('.tgz'))
  if (!tgz) throw new Error(`npm pack wrote no tarball in ${tmp}`)
  execFileSync('tar', ['-xzf', path.join(tmp, tgz), '-C', tmp, SOURCE])
  return JSON.parse(fs.readFileSync(path.join(tmp, SOURCE), 'utf8')) as Record<string, Json>
}

/** Drops `examples` (documentation only, and most of the referenced size); everything the validator reads stays. */
function strip(node: Json): Json {
  if (Array.isArray(node)) return node.map(strip)
  if (node === null || typeof node !== 'object') return node
  const out: Record<string, Json> = {}
  for (const [k, v] of Object.entries(node)) {
    if (k === 'examples' && v !== null && typeof v === 'object' && !Array.isArray(v)) continue
    out[k] = strip(v)
  }
  return out
}

function refsIn(node: Json, found: Set<string>): void {
  if (Array.isArray(node)) for (const v of node) refsIn(v, found)
  else if (node !== null && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string') found.add(v)
      else refsIn(v, found)
    }
  }
}

export function subset(spec: Record<string, Json>): Record<string, Json> {
  const paths = spec.paths as Record<string, Record<string, Json>>
  const outPaths: Record<string, Record<string, Json>> = {}
  for (const [method, p] of OPERATIONS) {
    const op = paths[p]?.[method]
    if (!op) throw new Error(`${method.toUpperCase()} ${p} is not in ${PACKAGE}@${VERSION}`)
    ;(outPaths[p] ??= {})[method] = strip(op)
  }
  const hooks = spec['x-webhooks'] as Record<string, Json>
  const outHooks: Record<string, Json> = {}
  for (const name of WEBHOOKS) {
    if (!hooks[name]) throw new Error(`webhook ${name} is not in ${PACKAGE}@${VERSION}`)
    outHooks[name] = strip(hooks[name])
  }

  // Every component the operations reference, followed transitively.
  const components = spec.components as Record<string, Record<string, Json>>
  const outComponents: Record<string, Record<string, Json>> = {}
  const pending = new Set<string>()
  refsIn(outPaths as Json, pending)
  refsIn(outHooks, pending)
  const done = new Set<string>()
  while (pending.size > 0) {
    const ref = pending.values().next().value as string
    pending.delete(ref)
    if (done.has(ref)) continue
    done.add(ref)
    const m = /^#\/components\/([^/]+)\/([^/]+)$/.exec(ref)
    if (!m) throw new Error(`unexpected $ref ${ref}`)
    const [, kind, name] = m as unknown as [string, string, string]
    const target = components[kind]?.[name]
    if (target === undefined) throw new Error(`dangling $ref ${ref}`)
    const stripped = strip(target)
    ;(outComponents[kind] ??= {})[name] = stripped
    const next = new Set<string>()
    refsIn(stripped, next)
    for (const r of next) if (!done.has(r)) pending.add(r)
  }
  const sorted: Record<string, Record<string, Json>> = {}
  for (const kind of Object.keys(outComponents).sort()) {
    sorted[kind] = Object.fromEntries(Object.entries(outComponents[kind]!).sort(([a], [b]) => a.localeCompare(b)))
  }
  const info = spec.info as Record<string, Json>
  return {
    openapi: spec.openapi ?? '3.0.3',
    info: {
      title: info.title ?? 'GitHub REST API',
      version: info.version ?? VERSION,
      'x-subset-of': `${PACKAGE}@${VERSION}`,
      'x-operations': OPERATIONS.map(([m, p]) => `${m.toUpperCase()} ${p}`),
      'x-webhooks': [...WEBHOOKS],
    },
    paths: outPaths as Json,
    'x-webhooks': outHooks,
    components: sorted as Json,
  }
}

function main(): void {
  const root = path.resolve(import.meta.dirname, '..')
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'github-openapi-'))
  try {
    const out = subset(download(tmp))
    const file = path.join(root, 'test/fixtures/github/openapi.json')
    fs.mkdirSync(path.dirname(file), { recursive: true })
    fs.writeFileSync(file, `${JSON.stringify(out, null, 1)}\n`)
    const counts = Object.entries(out.components as Record<string, Record<string, Json>>).map(([k, v]) => `${Object.keys(v).length} ${k}`)
    process.stdout.write(`wrote ${path.relative(root, file)}: ${OPERATIONS.length} operations, ${counts.join(', ')}\n`)
  } finally {
    fs.rmSync(tmp, { recursive: true, force: true })
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === path.resolve(import.meta.filename)) main()
