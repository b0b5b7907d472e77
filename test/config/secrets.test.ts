import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'
const GH = 'a-github-hook-secret-long-enough-42'
const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false' }

function withFile(t: { teardown(fn: () => unknown): void }, text: string): string {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), text)
  return dir
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

t.test('per-source GitHub hook secrets fill githubBySource, keyed by the normalised source', async (t) => {
  const dir = withFile(
    t,
    [
      'sources:',
      `  Acme/Orders-API: { secret: ${LONG}, githubSecret: ${GH} }`,
      `  acme/gh-only: { githubSecrets: [${GH}-old, ${GH}-new] }`,
      '  acme/from-env: { githubSecretEnv: GH_HOOK_SECRET }',
      `  acme/events-only: { secret: ${LONG}-2 }`,
      '',
    ].join('\n'),
  )
  const c = loadConfig({ ...HOST_MACHINE, GH_HOOK_SECRET: `${GH}-a  ${GH}-b` }, dir)
  t.same([...c.secrets.githubBySource.entries()], [
    ['acme/orders-api', [GH]],
    ['acme/gh-only', [`${GH}-old`, `${GH}-new`]],
    ['acme/from-env', [`${GH}-a`, `${GH}-b`]],
  ])
  t.same([...c.secrets.bySource.entries()], [
    ['acme/orders-api', [LONG]],
    ['acme/events-only', [`${LONG}-2`]],
  ], 'a source with only a GitHub secret has no Standard Webhooks secret')
  t.same(c.secrets.fallback, [], 'configured sources: no development secret')
  t.equal(c.secrets.generatedFallbackFile, undefined)
})

t.test('a GitHub hook secret follows the rules of the other secrets', async (t) => {
  const cases: [string, Record<string, string>, Record<string, unknown>][] = [
    ['  acme/a: { githubSecret: tiny-hook }', {}, { setting: 'sources.acme/a.githubSecret', reason: 'secret-too-short' }],
    [`  acme/a: { githubSecrets: [${GH}, tiny-hook] }`, {}, { setting: 'sources.acme/a.githubSecrets[1]', reason: 'secret-too-short' }],
    ['  acme/a: { githubSecretEnv: GH_UNSET }', {}, { setting: 'sources.acme/a.githubSecretEnv', variable: 'GH_UNSET', reason: 'env-not-set' }],
    ['  acme/a: { githubSecretEnv: GH_BLANK }', { GH_BLANK: ' ' }, { setting: 'GH_BLANK', reason: 'empty' }],
    ['  acme/a: { githubSecretEnv: GH_ROT }', { GH_ROT: `${GH} tiny-hook` }, { setting: 'GH_ROT[1]', reason: 'secret-too-short' }],
    ['  acme/a: { githubSecret: "" }', {}, { path: 'sources.acme/a.githubSecret', keyword: 'minLength' }],
    [`  acme/a: { githubsecret: ${GH} }`, {}, { path: 'sources.acme/a.githubsecret', suggestion: 'githubSecret' }],
    ['  acme/a: { githubSecretEnv: "not a name" }', {}, { path: 'sources.acme/a.githubSecretEnv', keyword: 'pattern' }],
  ]
  for (const [line, env, data] of cases) {
    const err = thrown(() => loadConfig({ ...HOST_MACHINE, ...env }, withFile(t, `sources:\n${line}\n`)))
    t.match(err, { code: 'CONFIG_INVALID', data }, line)
    t.notOk(`${(err as Error)?.message} ${JSON.stringify((err as { data?: unknown })?.data)}`.includes('tiny-hook'), 'the secret is not echoed')
  }
})

t.test('an empty or truncated development secret file stops the server, saying how to fix it', async (t) => {
  for (const content of ['', '\n', 'abc\n']) {
    const dir = tmpDir(t)
    fs.mkdirSync(path.join(dir, 'data'))
    const file = path.join(dir, 'data', 'webhook-secret')
    fs.writeFileSync(file, content)
    t.match(thrown(() => loadConfig(HOST_MACHINE, dir)), { code: 'CONFIG_INVALID', data: { file, reason: 'secret-too-short', minBytes: 24 } }, JSON.stringify(content))
    fs.rmSync(file)
    const c = loadConfig(HOST_MACHINE, dir)
    t.equal(c.secrets.generatedFallbackFile, file, 'deleting the file lets a new one be generated')
    t.ok(c.secrets.fallback[0]!.length >= 24)
  }
})

t.test('in a container no development secret is generated: the server refuses to start without one', async (t) => {
  const detections: [Record<string, string>, string][] = [
    [{ INFRA_SYNC_IN_CONTAINER: 'true' }, 'INFRA_SYNC_IN_CONTAINER'],
    [{ KUBERNETES_SERVICE_HOST: '10.0.0.1' }, 'KUBERNETES_SERVICE_HOST'],
  ]
  for (const [env, detectedBy] of detections) {
    const dir = tmpDir(t)
    t.match(thrown(() => loadConfig(env, dir)), { code: 'CONFIG_INVALID', data: { reason: 'no-secret-in-container', detectedBy } }, detectedBy)
    t.notOk(fs.existsSync(path.join(dir, 'data', 'webhook-secret')), 'nothing was generated')
    // A development secret left in the data volume is not used either.
    fs.mkdirSync(path.join(dir, 'data'), { recursive: true })
    fs.writeFileSync(path.join(dir, 'data', 'webhook-secret'), `${LONG}\n`)
    t.match(thrown(() => loadConfig(env, dir)), { code: 'CONFIG_INVALID', data: { reason: 'no-secret-in-container' } })

    const withSecret = loadConfig({ ...env, INFRA_SYNC_SECRET: LONG }, dir)
    t.same(withSecret.secrets.fallback, [LONG])
    t.equal(withSecret.secrets.generatedFallbackFile, undefined)
    t.equal(withSecret.host, '0.0.0.0', 'a container listens beyond loopback')
    fs.writeFileSync(path.join(dir, 'c.yaml'), `sources:\n  acme/a: { githubSecret: ${GH} }\n`)
    const perSource = loadConfig({ ...env, INFRA_SYNC_CONFIG: 'c.yaml' }, dir)
    t.same(perSource.secrets.fallback, [], 'a per-source secret is enough')
    const githubOnly = loadConfig({ ...env, INFRA_SYNC_GITHUB_SECRET: GH }, dir)
    t.same([githubOnly.secrets.fallback, githubOnly.secrets.github], [[], [GH]], 'the infra repo hook secret alone: nothing generated')
  }
  const outside = tmpDir(t)
  const c = loadConfig({}, outside)
  t.equal(c.secrets.generatedFallbackFile, path.join(outside, 'data', 'webhook-secret'), 'outside a container it is generated')
  t.equal(c.host, '127.0.0.1')
  t.equal(loadConfig({ INFRA_SYNC_IN_CONTAINER: 'false', KUBERNETES_SERVICE_HOST: '10.0.0.1' }, tmpDir(t)).secrets.fallback.length, 1, 'INFRA_SYNC_IN_CONTAINER=false overrides the detection')
})
