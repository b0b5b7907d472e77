import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'
// The machine running the tests may itself be a container: say which case each test is about.
const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false' }

t.test('nothing set: the embedded default, with a generated development secret kept on disk', async (t) => {
  const dir = tmpDir(t)
  const c = loadConfig(HOST_MACHINE, dir)
  t.equal(c.dataDir, path.join(dir, 'data'))
  t.equal(c.repo.kind, 'local')
  t.equal(c.repo.location, path.join(dir, 'data', 'infra'))
  t.ok(c.embeddedRepo)
  t.equal(c.databaseUrl, `sqlite:${path.join(dir, 'data', 'infra-sync.db')}`)
  t.equal(c.port, 8080)
  t.equal(c.host, '127.0.0.1')
  t.equal(c.secrets.generatedFallbackFile, path.join(dir, 'data', 'webhook-secret'))
  const secret = fs.readFileSync(c.secrets.generatedFallbackFile!, 'utf8').trim()
  t.ok(secret.length >= 40)
  t.equal((fs.statSync(c.secrets.generatedFallbackFile!).mode & 0o777).toString(8), '600')
  t.same(c.secrets.fallback, [secret])
  t.equal(c.secrets.githubBySource.size, 0)
  t.equal(loadConfig(HOST_MACHINE, dir).secrets.fallback[0], secret, 'the same secret on the next start')
  t.ok(Object.isFrozen(c))
})

t.test('a config file, with env winning', async (t) => {
  const dir = tmpDir(t)
  fs.writeFileSync(
    path.join(dir, 'infra-sync.config.yaml'),
    `port: 9000\nrepo: https://git.example/acme/infra.git\nbranch: deploy\nsources:\n  Acme/Orders-API:\n    secrets: [${LONG}, ${LONG}-new]\n  acme/web:\n    secretEnv: WEB_SECRET\nauthor: { name: Deploy Bot, email: bot@example.com }\nworker: { batchSize: 50 }\n`,
  )
  const c = loadConfig({ PORT: '9100', WEB_SECRET: `${LONG}-web ${LONG}-web2`, INFRA_SYNC_GIT_TOKEN: 'tok', ...HOST_MACHINE }, dir)
  t.equal(c.port, 9100)
  t.equal(c.repo.kind, 'http')
  t.equal(c.repo.branch, 'deploy')
  t.equal(c.repo.token, 'tok')
  t.notOk(c.embeddedRepo)
  t.same(c.secrets.bySource.get('acme/orders-api'), [LONG, `${LONG}-new`])
  t.same(c.secrets.bySource.get('acme/web'), [`${LONG}-web`, `${LONG}-web2`])
  t.same(c.secrets.fallback, [], 'no generated secret once sources have their own')
  t.same(c.author, { name: 'Deploy Bot', email: 'bot@example.com' })
  t.same(c.worker, { batchSize: 50 })
})

t.test('intake limits and the admin token', async (t) => {
  const dir = tmpDir(t)
  const dflt = loadConfig({ INFRA_SYNC_SECRET: LONG }, dir)
  t.same(dflt.rateLimit, { perSecond: 50, burst: 500 })
  t.same(dflt.http, { headersTimeoutMs: 10_000, requestTimeoutMs: 30_000 })
  t.equal(dflt.adminToken, undefined)
  const set = loadConfig({ INFRA_SYNC_SECRET: LONG, INFRA_SYNC_RATE_LIMIT: '5/20', INFRA_SYNC_ADMIN_TOKEN: LONG }, dir)
  t.same(set.rateLimit, { perSecond: 5, burst: 20 })
  t.equal(set.adminToken, LONG)
  t.same(loadConfig({ INFRA_SYNC_SECRET: LONG, INFRA_SYNC_RATE_LIMIT: '0' }, dir).rateLimit.perSecond, 0, '0 turns it off')
})

t.test('INFRA_SYNC_CONFIG names the file', async (t) => {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'other.yaml'), 'port: 7000\n')
  t.equal(loadConfig({ INFRA_SYNC_CONFIG: 'other.yaml', INFRA_SYNC_SECRET: LONG }, dir).port, 7000)
})

/** Loads with `env` and an optional config file; returns what was thrown. */
function refusal(t: { teardown(fn: () => unknown): void }, env: Record<string, string>, file?: string): unknown {
  const d = tmpDir(t)
  if (file !== undefined) fs.writeFileSync(path.join(d, 'infra-sync.config.yaml'), file)
  try {
    loadConfig({ ...HOST_MACHINE, ...env }, d)
  } catch (e) {
    return e
  }
  return undefined
}

t.test('bad configuration is refused with CONFIG_INVALID naming the setting, and never echoes a secret', async (t) => {
  const cases: [Record<string, string>, string | undefined, Record<string, unknown>][] = [
    [{ INFRA_SYNC_SECRET: 'short-secret' }, undefined, { setting: 'INFRA_SYNC_SECRET', reason: 'secret-too-short' }],
    [{ INFRA_SYNC_GITHUB_SECRET: 'short' }, undefined, { setting: 'INFRA_SYNC_GITHUB_SECRET', reason: 'secret-too-short' }],
    [{ INFRA_SYNC_GITHUB_SECRET: `${LONG} short` }, undefined, { setting: 'INFRA_SYNC_GITHUB_SECRET[1]', reason: 'secret-too-short' }],
    [{ PORT: 'eighty' }, undefined, { setting: 'PORT' }],
    [{ INFRA_SYNC_REPO: 'git://github.com/acme/infra.git' }, undefined, { setting: 'INFRA_SYNC_REPO' }],
    [{ INFRA_SYNC_GIT_TRANSPORT: 'ssh' }, undefined, { setting: 'INFRA_SYNC_GIT_TRANSPORT' }],
    [{ INFRA_SYNC_BRANCH: '../main' }, undefined, { setting: 'INFRA_SYNC_BRANCH' }],
    [{ INFRA_SYNC_DATABASE_URL: 'mysql://x' }, undefined, { setting: 'INFRA_SYNC_DATABASE_URL' }],
    [{ INFRA_SYNC_CONFIG: 'missing.yaml' }, undefined, { reason: 'unreadable' }],
    [{}, 'colour: blue\n', { path: 'colour', keyword: 'additionalProperties' }],
    [{}, 'sources:\n  not-a-repo:\n    secret: x\n', { path: 'sources.not-a-repo', keyword: 'pattern' }],
    [{}, 'sources:\n  acme/../b:\n    secret: ' + LONG + '\n', { path: 'sources.acme/../b', reason: 'source-invalid' }],
    [{}, 'sources:\n  acme/a:\n    secret: tooshort\n', { setting: 'sources.acme/a.secret', reason: 'secret-too-short' }],
    [{}, 'sources:\n  acme/a:\n    secretEnv: NOT_SET\n', { setting: 'sources.acme/a.secretEnv', variable: 'NOT_SET', reason: 'env-not-set' }],
    [{ BLANK: '  ' }, 'sources:\n  acme/a:\n    secretEnv: BLANK\n', { setting: 'BLANK', reason: 'empty' }],
    [{}, 'sources:\n  acme/a: {}\n', { path: 'sources.acme/a', keyword: 'minProperties' }],
    [{}, 'sources:\n  acme/a:\n', { path: 'sources.acme/a', keyword: 'type' }],
    [{}, `sources:\n  acme/a: { secret: ${LONG} }\n  Acme/A: { secret: ${LONG} }\n`, { path: 'sources.Acme/A', reason: 'source-duplicate' }],
    [{}, 'worker: { batchSize: -1 }\n', { path: 'worker.batchSize', keyword: 'exclusiveMinimum' }],
    [{}, 'worker: { retentionDays: 1 }\n', { path: 'worker.retentionDays', keyword: 'minimum' }],
    [{ INFRA_SYNC_ADMIN_TOKEN: 'short-secret' }, undefined, { setting: 'INFRA_SYNC_ADMIN_TOKEN', reason: 'secret-too-short' }],
    [{ INFRA_SYNC_SECRET: '' }, undefined, { setting: 'INFRA_SYNC_SECRET', reason: 'empty' }],
    [{ INFRA_SYNC_GITHUB_SECRET: '  ' }, undefined, { setting: 'INFRA_SYNC_GITHUB_SECRET', reason: 'empty' }],
    [{ INFRA_SYNC_ADMIN_TOKEN: '' }, undefined, { setting: 'INFRA_SYNC_ADMIN_TOKEN', reason: 'empty' }],
    [{}, 'secret: ""\n', { path: 'secret', keyword: 'minLength' }],
    [{}, 'secret:\n', { path: 'secret', keyword: 'type' }],
    [{}, 'secret: 9007199254740\n', { path: 'secret', keyword: 'type' }],
    [{ INFRA_SYNC_RATE_LIMIT: 'fast' }, undefined, { setting: 'rateLimit.perSecond' }],
    [{ INFRA_SYNC_RATE_LIMIT: '-1/10' }, undefined, { setting: 'rateLimit.perSecond' }],
    [{}, 'http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 }\n', { path: 'http.headersTimeoutMs' }],
    [{}, 'rateLimit: { perSecond: 10, burst: 0 }\n', { path: 'rateLimit.burst', keyword: 'minimum' }],
    [{}, 'logLevel: loud\n', { path: 'logLevel', keyword: 'enum' }],
    [{}, ': : :\n', { path: 'null', keyword: 'additionalProperties' }],
    [{}, 'port: [\n', { reason: 'yaml' }],
    [{}, 'port: 1\nport: 2\n', { reason: 'yaml' }],
    [{}, '- a list\n', { path: '', keyword: 'type' }],
    [{ INFRA_SYNC_IN_CONTAINER: 'perhaps', INFRA_SYNC_SECRET: LONG }, undefined, { setting: 'INFRA_SYNC_IN_CONTAINER' }],
  ]
  for (const [env, file, data] of cases) {
    const err = refusal(t, env, file)
    t.match(err, { code: 'CONFIG_INVALID', data }, JSON.stringify({ env, file }))
    const text = `${(err as Error)?.message} ${JSON.stringify((err as { data?: unknown })?.data)}`
    t.notOk(['short-secret', 'tooshort', LONG, '9007199254740'].some((s) => text.includes(s)), 'no secret in the message or data')
  }
})
