// `npm run argocd-openapi -- <argo-cd checkout>`: writes test/fixtures/argocd/swagger.json, the part of
// Argo CD's published API description (assets/swagger.json, Swagger 2.0) that the fake Argo CD
// checks its answers against: the operations infra-sync calls and every definition they reach.
import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'

/** The operations infra-sync's promotion calls. */
export const OPERATIONS: readonly (readonly [string, string])[] = [['get', '/api/v1/applications/{name}']]

type Json = Record<string, unknown>

function refsIn(node: unknown, out: Set<string>): void {
  if (Array.isArray(node)) for (const x of node) refsIn(x, out)
  else if (node && typeof node === 'object') {
    for (const [k, v] of Object.entries(node)) {
      if (k === '$ref' && typeof v === 'string' && v.startsWith('#/definitions/')) out.add(v.slice('#/definitions/'.length))
      else refsIn(v, out)
    }
  }
}

const checkout = process.argv[2]
if (!checkout) throw new Error('usage: npm run argocd-openapi -- <path to an argo-cd git checkout or bare repository>')
const read = (file: string) => execFileSync('git', ['-C', checkout, 'show', `HEAD:${file}`], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 })
const commit = execFileSync('git', ['-C', checkout, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
const version = read('VERSION').trim()
const full = JSON.parse(read('assets/swagger.json')) as { paths: Record<string, Json>; definitions: Record<string, Json> } & Json

const paths: Record<string, Json> = {}
for (const [method, p] of OPERATIONS) {
  const op = full.paths[p]?.[method]
  if (!op) throw new Error(`${method} ${p} is not in Argo CD ${version}'s description`)
  paths[p] = { ...paths[p], [method]: op }
}
const wanted = new Set<string>()
refsIn(paths, wanted)
const definitions: Record<string, Json> = {}
for (const todo = [...wanted]; todo.length > 0; ) {
  const name = todo.pop()!
  if (definitions[name]) continue
  const d = full.definitions[name]
  if (!d) throw new Error(`definition ${name} is missing`)
  definitions[name] = d
  const more = new Set<string>()
  refsIn(d, more)
  for (const m of more) if (!definitions[m]) todo.push(m)
}
const subset = {
  swagger: full.swagger,
  info: { ...(full.info as Json), version, 'x-source': `github.com/argoproj/argo-cd assets/swagger.json at ${commit} (VERSION ${version}); subset written by scripts/argocd-openapi.ts` },
  paths,
  definitions: Object.fromEntries(Object.entries(definitions).sort(([a], [b]) => a.localeCompare(b))),
}
const out = path.join(import.meta.dirname, '..', 'test', 'fixtures', 'argocd', 'swagger.json')
fs.writeFileSync(out, `${JSON.stringify(subset, null, 1)}\n`)
process.stderr.write(`wrote ${out}: ${Object.keys(paths).length} path(s), ${Object.keys(definitions).length} definitions, Argo CD ${version}\n`)
