import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * Argo CD for promotion, as loadConfig reads it: INFRA_SYNC_ARGOCD_URL and
 * _TOKEN (env winning over the file's `argocd:`), the notifications token,
 * and pollMs within the schema's bounds. Half a setting is refused, by reason.
 */
type Test = Parameters<Parameters<typeof t.test>[1]>[0]
type Env = Record<string, string | undefined>
const LONG = 'a-secret-that-is-long-enough-0123456789'
const ARGO_TOKEN = 'argocd-api-token'
const HOOK_TOKEN = 'argocd-webhook-token-0123456789abcdef'
const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false' }

function load(t: Test, yaml: string, env: Env = {}) {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), `secret: ${LONG}\n${yaml}`)
  return () => loadConfig({ ...HOST_MACHINE, ...env }, dir)
}

t.test('no URL and no token: no argocd', async (t) => {
  t.equal(load(t, '')().argocd, undefined)
})

t.test('URL and token from env: config.argocd, the default poll, no webhook token', async (t) => {
  const c = load(t, '', { INFRA_SYNC_ARGOCD_URL: 'https://argocd.example/', INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN })()
  t.same(c.argocd, { url: 'https://argocd.example', token: ARGO_TOKEN, pollMs: 5000 })
})

t.test('the webhook token is kept when set', async (t) => {
  const c = load(t, '', { INFRA_SYNC_ARGOCD_URL: 'http://argocd-server.argocd.svc', INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN, INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: HOOK_TOKEN })()
  t.same(c.argocd, { url: 'http://argocd-server.argocd.svc', token: ARGO_TOKEN, webhookToken: HOOK_TOKEN, pollMs: 5000 })
})

t.test('half a setting is refused, by reason', async (t) => {
  const cases: [string, string, Env, string][] = [
    ['a URL without a token', '', { INFRA_SYNC_ARGOCD_URL: 'https://argocd.example' }, 'argocd-without-token'],
    ['a URL in the file without a token', 'argocd: { url: "https://argocd.example" }\n', {}, 'argocd-without-token'],
    ['a token without a URL', '', { INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN }, 'argocd-without-url'],
    ['a webhook token without a URL', '', { INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: HOOK_TOKEN }, 'argocd-without-url'],
  ]
  for (const [name, yaml, env, reason] of cases) t.throws(load(t, yaml, env), { code: 'CONFIG_INVALID', data: { reason } }, name)
})

t.test('the URL must be http(s) and carry no credentials', async (t) => {
  for (const url of ['ftp://argocd.example', 'argocd.example', 'not a url', 'file:///etc/passwd', 'https://admin:pw@argocd.example', 'https://admin@argocd.example']) {
    t.throws(load(t, '', { INFRA_SYNC_ARGOCD_URL: url, INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN }), { code: 'CONFIG_INVALID', data: { setting: 'INFRA_SYNC_ARGOCD_URL', reason: 'argocd-url' } }, url)
  }
})

t.test('a webhook token shorter than 24 bytes is secret-too-short', async (t) => {
  const env = { INFRA_SYNC_ARGOCD_URL: 'https://argocd.example', INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN, INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: 'x'.repeat(23) }
  t.throws(load(t, '', env), { code: 'CONFIG_INVALID', data: { setting: 'INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN', reason: 'secret-too-short' } })
  t.equal(load(t, '', { ...env, INFRA_SYNC_ARGOCD_WEBHOOK_TOKEN: 'x'.repeat(24) })().argocd?.webhookToken, 'x'.repeat(24), '24 bytes is enough')
})

t.test('set but empty is refused, not read as unset', async (t) => {
  t.throws(load(t, '', { INFRA_SYNC_ARGOCD_URL: 'https://argocd.example', INFRA_SYNC_ARGOCD_TOKEN: ' ' }), { code: 'CONFIG_INVALID', data: { setting: 'INFRA_SYNC_ARGOCD_TOKEN', reason: 'empty' } })
})

t.test('env wins over the file; tokenEnv and webhookTokenEnv name where the tokens are', async (t) => {
  const yaml = 'argocd:\n  url: https://file.example\n  tokenEnv: ARGO_API_TOKEN\n  webhookTokenEnv: ARGO_HOOK_TOKEN\n  pollMs: 2000\n'
  const fromFile = load(t, yaml, { ARGO_API_TOKEN: ARGO_TOKEN, ARGO_HOOK_TOKEN: HOOK_TOKEN })()
  t.same(fromFile.argocd, { url: 'https://file.example', token: ARGO_TOKEN, webhookToken: HOOK_TOKEN, pollMs: 2000 })

  const envWins = load(t, yaml, { ARGO_API_TOKEN: ARGO_TOKEN, INFRA_SYNC_ARGOCD_URL: 'https://env.example', INFRA_SYNC_ARGOCD_TOKEN: 'env-token' })()
  t.equal(envWins.argocd?.url, 'https://env.example')
  t.equal(envWins.argocd?.token, 'env-token')
  t.equal(envWins.argocd?.pollMs, 2000, 'the file still sets what env does not')

  t.throws(load(t, yaml, {}), { code: 'CONFIG_INVALID', data: { reason: 'argocd-without-token' } }, 'tokenEnv names a variable that is not set')
})

t.test('pollMs is bounded by the schema', async (t) => {
  const env = { INFRA_SYNC_ARGOCD_TOKEN: ARGO_TOKEN }
  for (const ms of [1000, 10000]) t.equal(load(t, `argocd: { url: "https://argocd.example", pollMs: ${ms} }\n`, env)().argocd?.pollMs, ms, `${ms} allowed`)
  for (const ms of [999, 11000]) t.throws(load(t, `argocd: { url: "https://argocd.example", pollMs: ${ms} }\n`, env), { code: 'CONFIG_INVALID', data: { path: 'argocd.pollMs' } }, `${ms} refused`)
  t.throws(load(t, 'argocd: { url: "https://argocd.example", token: secret }\n', env), { code: 'CONFIG_INVALID', data: { path: 'argocd.token' } }, 'a token in the file is an unknown key')
})
