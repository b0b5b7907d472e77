import { generateKeyPairSync } from 'node:crypto'
import t, { type Test } from 'tap'
import type { ForgeConfig } from '../../src/config/config.js'
import type { GitCredentials } from '../../src/forges/forge.js'
import { openForge } from '../../src/forges/open-forge.js'
import { startFakeGitHub } from '../helpers/fake-github/index.js'
import { eventually, tmpDir } from '../helpers/tmp.js'
import { captureLog, FAST, gitWith, pushBranch, runBranch, type ForgeTarget } from './forge-rig.js'

// GitHub hands out PKCS#1 ("BEGIN RSA PRIVATE KEY") files.
const keys = () => generateKeyPairSync('rsa', { modulusLength: 2048, publicKeyEncoding: { type: 'spki', format: 'pem' }, privateKeyEncoding: { type: 'pkcs1', format: 'pem' } })
const appKeys = keys()
const APP_ID = 4242
const INSTALLATION = 77

async function appTarget(t: Test, auth: Partial<Extract<ForgeConfig['auth'], { kind: 'app' }>> = {}, tokenTtlMs = 1500) {
  const fake = await startFakeGitHub({ files: { 'README.md': 'infra\n' }, app: { id: APP_ID, installationId: INSTALLATION, publicKeyPem: appKeys.publicKey, tokenTtlMs } })
  t.teardown(() => fake.stop())
  const { log, lines } = captureLog()
  const config: ForgeConfig = { kind: 'github', apiUrl: fake.apiUrl, owner: 'acme', repo: 'infra', auth: { kind: 'app', appId: String(APP_ID), privateKey: appKeys.privateKey, ...auth } }
  const { forge, credentials } = openForge(config, log, FAST)
  const target: ForgeTarget = { name: 'fake', forge, credentials, owner: 'acme', repo: 'infra', base: 'main', gitUrl: fake.gitUrl, lines, fake, branches: [] }
  return { fake, target, lines }
}

const lsRemote = (t: Test, gitUrl: string, c: GitCredentials) => gitWith(async () => c, tmpDir(t, 'ls-remote-'), 'ls-remote', gitUrl, 'refs/heads/main')

function leaks(texts: readonly string[], secrets: readonly string[]): string[] {
  return texts.filter((text) => secrets.some((s) => s && text.includes(s)))
}

t.test('GitHub App: git and the API share installation tokens, minted again before they expire', async (t) => {
  const { fake, target, lines } = await appTarget(t)
  const first = (await target.credentials())!
  t.equal(first.username, 'x-access-token')
  t.match(await lsRemote(t, fake.gitUrl, first), /refs\/heads\/main/, 'git takes the token')
  t.equal(await target.forge.findOpen('nothing'), null, 'the API takes it (the installation found by the repository)')

  const second = await eventually(async () => {
    const c = (await target.credentials())!
    return c.password !== first.password ? c : undefined
  }, 15_000, 'a new installation token')
  t.match(await lsRemote(t, fake.gitUrl, second), /refs\/heads\/main/, 'git takes the new one')
  await eventually(() => lsRemote(t, fake.gitUrl, first).then(() => undefined, () => true), 15_000, 'the first token to expire')

  // Past the first token's life: the API and git go on without anyone asking for a token.
  const branch = runBranch('api/prod')
  await pushBranch(t, target, branch, { 'services/api/kustomization.yaml': 'images: []\n' })
  const pr = await target.forge.open({ head: branch, base: 'main', title: 'deploy(api/prod): 1 → 2', body: 'b\n', labels: ['infra-sync'], reviewers: [] })
  t.equal((await target.forge.get(pr.number)).state, 'open')

  const e = await target.forge.get(999).then(() => undefined, (e: Error & { code?: string }) => e)
  t.equal(e?.code, 'FORGE_NOT_FOUND')
  const tokens = [first.password, second.password, (await target.credentials())!.password]
  t.same(leaks([...lines, e?.message ?? '', JSON.stringify(e?.cause ?? '')], [...tokens, appKeys.privateKey.split('\n')[1]!]), [], 'no token or key in any log line or error')
  t.ok(lines.some((l) => l.includes('installation token minted')), 'mints are logged (without the token)')
  t.same(fake.violations, [])
})

t.test('GitHub App with its installation id configured: no lookup needed', async (t) => {
  const { fake, target } = await appTarget(t, { installationId: INSTALLATION }, 3_600_000)
  t.equal(await target.forge.findOpen('nothing'), null)
  t.notOk(fake.requests.some((r) => r.path.endsWith('/installation')), 'the installation was not looked up')
  t.same(fake.violations, [])
})

t.test('a private key that is not a PEM RSA key is a ConfigError, without the key in its message', async (t) => {
  const base = { kind: 'github', apiUrl: 'https://api.github.com', owner: 'acme', repo: 'infra' } as const
  const { log, lines } = captureLog()
  const notPem = 'MIIEowIBAAKCAQEAsecretsecretsecret'
  const ec = generateKeyPairSync('ec', { namedCurve: 'P-256', privateKeyEncoding: { type: 'pkcs8', format: 'pem' }, publicKeyEncoding: { type: 'spki', format: 'pem' } }).privateKey
  for (const privateKey of [notPem, '-----BEGIN RSA PRIVATE KEY-----\nMIIEgarbage\n-----END RSA PRIVATE KEY-----\n', ec]) {
    let thrown: (Error & { code?: string }) | undefined
    try {
      openForge({ ...base, auth: { kind: 'app', appId: '1', privateKey } }, log)
    } catch (e) {
      thrown = e as Error & { code?: string }
    }
    t.equal(thrown?.code, 'CONFIG_INVALID')
    t.notOk(thrown?.message.includes(privateKey.split('\n')[1] ?? privateKey) || thrown?.message.includes(notPem))
  }
  t.same(lines, [])
})

t.test('a key GitHub does not know: FORGE_AUTH from the credentials, with no JWT or key in the message', async (t) => {
  const other = keys()
  const { fake, target, lines } = await appTarget(t, { privateKey: other.privateKey })
  const e = await target.credentials().then(() => undefined, (e: Error & { code?: string; retryable?: boolean }) => e)
  t.match(e, { code: 'FORGE_AUTH', retryable: false })
  t.notOk(/eyJ[A-Za-z0-9_-]{8,}/.test(e?.message ?? ''), 'no JWT in the message')
  t.same(leaks([...lines, e?.message ?? ''], [other.privateKey.split('\n')[1]!]), [])
  await t.rejects(target.forge.findOpen('nothing'), { code: 'FORGE_AUTH' })
  t.same(fake.violations, [])
})
