import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'

t.test('nothing set: the embedded default, with a generated development secret kept on disk', async (t) => {
  const dir = tmpDir(t)
  const c = loadConfig({}, dir)
  t.equal(c.dataDir, path.join(dir, 'data'))
  t.equal(c.repo.kind, 'local')
  t.equal(c.repo.location, path.join(dir, 'data', 'infra'))
  t.ok(c.embeddedRepo)
  t.equal(c.databaseUrl, `sqlite:${path.join(dir, 'data', 'infra-sync.db')}`)
  t.equal(c.port, 8080)
  t.equal(c.secrets.generatedFallbackFile, path.join(dir, 'data', 'webhook-secret'))
  const secret = fs.readFileSync(c.secrets.generatedFallbackFile!, 'utf8').trim()
  t.ok(secret.length >= 40)
  t.equal((fs.statSync(c.secrets.generatedFallbackFile!).mode & 0o777).toString(8), '600')
  t.same(c.secrets.fallback, [secret])
  t.equal(loadConfig({}, dir).secrets.fallback[0], secret, 'the same secret on the next start')
  t.ok(Object.isFrozen(c))
})

t.test('a config file, with env winning', async (t) => {
  const dir = tmpDir(t)
  fs.writeFileSync(
    path.join(dir, 'infra-sync.config.yaml'),
    `port: 9000\nrepo: https://git.example/acme/infra.git\nbranch: deploy\nsources:\n  Acme/Orders-API:\n    secrets: [${LONG}, ${LONG}-new]\n  acme/web:\n    secretEnv: WEB_SECRET\nauthor: { name: Deploy Bot, email: bot@example.com }\nworker: { batchSize: 50 }\n`,
  )
  const c = loadConfig({ PORT: '9100', WEB_SECRET: `${LONG}-web ${LONG}-web2`, INFRA_SYNC_GIT_TOKEN: 'tok' }, dir)
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

t.test('bad configuration is refused with CONFIG_INVALID, and never echoes a secret', async (t) => {
  const dir = tmpDir(t)
  const cases: [Record<string, string>, string | undefined][] = [
    [{ INFRA_SYNC_SECRET: 'short-secret' }, undefined],
    [{ INFRA_SYNC_GITHUB_SECRET: 'short' }, undefined],
    [{ PORT: 'eighty' }, undefined],
    [{ INFRA_SYNC_REPO: 'git@github.com:acme/infra.git' }, undefined],
    [{ INFRA_SYNC_REPO: 'ssh://github.com/acme/infra.git' }, undefined],
    [{ INFRA_SYNC_BRANCH: '../main' }, undefined],
    [{ INFRA_SYNC_DATABASE_URL: 'mysql://x' }, undefined],
    [{ INFRA_SYNC_CONFIG: 'missing.yaml' }, undefined],
    [{}, 'colour: blue\n'],
    [{}, 'sources:\n  not-a-repo:\n    secret: x\n'],
    [{}, 'sources:\n  acme/a:\n    secret: tooshort\n'],
    [{}, 'sources:\n  acme/a:\n    secretEnv: NOT_SET\n'],
    [{}, 'sources:\n  acme/a: {}\n'],
    [{}, 'worker: { batchSize: -1 }\n'],
    [{}, 'worker: { retentionDays: 1 }\n'],
    [{ INFRA_SYNC_ADMIN_TOKEN: 'short-secret' }, undefined],
    [{ INFRA_SYNC_SECRET: '' }, undefined],
    [{ INFRA_SYNC_GITHUB_SECRET: '  ' }, undefined],
    [{ INFRA_SYNC_ADMIN_TOKEN: '' }, undefined],
    [{}, 'secret: ""\n'],
    [{ INFRA_SYNC_RATE_LIMIT: 'fast' }, undefined],
    [{ INFRA_SYNC_RATE_LIMIT: '-1/10' }, undefined],
    [{}, 'http: { headersTimeoutMs: 5000, requestTimeoutMs: 1000 }\n'],
    [{}, 'rateLimit: { perSecond: 10, burst: 0 }\n'],
    [{}, ': : :\n'],
  ]
  for (const [env, file] of cases) {
    const d = tmpDir(t)
    if (file !== undefined) fs.writeFileSync(path.join(d, 'infra-sync.config.yaml'), file)
    let err: unknown
    try {
      loadConfig(env, d)
    } catch (e) {
      err = e
    }
    t.match(err, { code: 'CONFIG_INVALID' }, JSON.stringify({ env, file }))
    t.notOk(String((err as Error)?.message).includes('short-secret') || String((err as Error)?.message).includes('tooshort'), 'the secret is not in the message')
  }
  void dir
})
