import { generateKeyPairSync } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

/** INFRA_SYNC_FORGE and the GitHub credentials: env and file forms, and what is refused (never echoing a key or a token). */
const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false', INFRA_SYNC_SECRET: 'a-secret-that-is-long-enough-0123456789' }
const TOKEN = 'ghp_a-token-that-must-never-be-printed-123'
const GITHUB_REPO = 'https://github.com/Acme/infra.git'
const KEY = generateKeyPairSync('rsa', { modulusLength: 2048 }).privateKey.export({ type: 'pkcs1', format: 'pem' }).toString()
// The base64 body of the key: what must never appear in a message.
const KEY_BODY = KEY.split('\n')[1]!

function load(t: { teardown(fn: () => unknown): void }, env: Record<string, string>, file?: string, files: Record<string, string> = {}) {
  const dir = tmpDir(t)
  if (file !== undefined) fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), file)
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text)
  return { dir, config: () => loadConfig({ ...HOST_MACHINE, ...env }, dir) }
}

function thrown(fn: () => unknown): unknown {
  try {
    fn()
  } catch (e) {
    return e
  }
  return undefined
}

t.test('no forge unless asked for, or implied by a github.com repo', async (t) => {
  t.equal(load(t, {}).config().repo.forge, undefined, 'the embedded repo')
  t.equal(load(t, { INFRA_SYNC_REPO: 'https://git.example/acme/infra.git', INFRA_SYNC_GIT_TOKEN: TOKEN }).config().repo.forge, undefined, 'another host')
  const implied = load(t, { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GIT_TOKEN: TOKEN }).config().repo.forge
  t.same(implied, { kind: 'github', apiUrl: 'https://api.github.com', owner: 'Acme', repo: 'infra', auth: { kind: 'token', token: TOKEN } })
  const inUrl = load(t, { INFRA_SYNC_REPO: `https://x-access-token:${TOKEN}@github.com/acme/infra` }).config().repo.forge
  t.same(inUrl?.auth, { kind: 'token', token: TOKEN }, 'a token in the URL serves the API too')
  t.equal(inUrl?.repo, 'infra')
})

t.test('GitHub Enterprise Server: forge named, API beside the repositories unless given', async (t) => {
  const ghes = load(t, { INFRA_SYNC_REPO: 'https://ghe.example.com/platform/infra', INFRA_SYNC_FORGE: 'github', INFRA_SYNC_GIT_TOKEN: TOKEN }).config().repo.forge
  t.equal(ghes?.apiUrl, 'https://ghe.example.com/api/v3')
  t.same([ghes?.owner, ghes?.repo], ['platform', 'infra'])
  const given = load(t, { INFRA_SYNC_REPO: 'https://ghe.example.com/platform/infra.git/', INFRA_SYNC_FORGE: 'github', INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_GITHUB_API_URL: 'https://api.ghe.example.com/' })
  t.equal(given.config().repo.forge?.apiUrl, 'https://api.ghe.example.com')
})

t.test('a GitHub App, from the environment or the file; env wins', async (t) => {
  const env = load(t, { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GITHUB_APP_ID: '12345', INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY, INFRA_SYNC_GITHUB_APP_INSTALLATION_ID: '678' })
  t.same(env.config().repo.forge?.auth, { kind: 'app', appId: '12345', privateKey: KEY, installationId: 678 })
  const escaped = load(t, { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GITHUB_APP_ID: '1', INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY.trim().replace(/\n/g, '\\n') })
  t.match(escaped.config().repo.forge?.auth, { kind: 'app', privateKey: KEY }, 'a key with its line breaks written as \\n')

  const file = [
    'repo: https://ghe.example.com/platform/infra',
    'forge: github',
    'githubApiUrl: https://ghe.example.com/api/v3',
    'githubAppId: 42',
    'githubAppPrivateKeyFile: app.pem',
    'githubAppInstallationId: 7',
    'gitToken: ignored-when-an-app-is-set-0123456',
    'worker: { prPollMs: 5000 }',
    '',
  ].join('\n')
  const fromFile = load(t, {}, file, { 'app.pem': KEY }).config()
  t.same(fromFile.repo.forge, { kind: 'github', apiUrl: 'https://ghe.example.com/api/v3', owner: 'platform', repo: 'infra', auth: { kind: 'app', appId: '42', privateKey: KEY, installationId: 7 } })
  t.equal(fromFile.worker.prPollMs, 5000)
  const overridden = load(t, { INFRA_SYNC_GITHUB_APP_ID: '43', INFRA_SYNC_GITHUB_API_URL: 'https://other.example/api/v3', INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY }, file, {}).config()
  t.match(overridden.repo.forge, { apiUrl: 'https://other.example/api/v3', auth: { appId: '43', privateKey: KEY } }, "the key in the environment wins over the file's key file")
})

t.test('refused with CONFIG_INVALID naming the setting, never echoing a key or a token', async (t) => {
  const app = { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GITHUB_APP_ID: '12345' }
  const cases: [string, Record<string, string>, string | undefined, Record<string, string>, Record<string, unknown>][] = [
    ['a forge with a local repo', { INFRA_SYNC_REPO: '/srv/infra.git', INFRA_SYNC_FORGE: 'github', INFRA_SYNC_GIT_TOKEN: TOKEN }, undefined, {}, { setting: 'INFRA_SYNC_FORGE', reason: 'forge-local-repo' }],
    ['a forge with the embedded repo', { INFRA_SYNC_FORGE: 'github' }, undefined, {}, { reason: 'forge-local-repo' }],
    ['an unknown forge', { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_FORGE: 'gitlab', INFRA_SYNC_GIT_TOKEN: TOKEN }, undefined, {}, { setting: 'INFRA_SYNC_FORGE', reason: 'forge-unknown' }],
    ['an unknown forge in the file', {}, 'forge: gitea\n', {}, { path: 'forge', keyword: 'enum' }],
    ['no credentials', { INFRA_SYNC_REPO: GITHUB_REPO }, undefined, {}, { setting: 'INFRA_SYNC_GIT_TOKEN', reason: 'forge-credentials-missing' }],
    ['a path that is not owner/repo', { INFRA_SYNC_REPO: 'https://github.com/acme/group/infra.git', INFRA_SYNC_GIT_TOKEN: TOKEN }, undefined, {}, { setting: 'INFRA_SYNC_REPO', reason: 'forge-repo-path', repoPath: '/acme/group/infra.git' }],
    ['a path with one segment', { INFRA_SYNC_REPO: 'https://github.com/infra', INFRA_SYNC_GIT_TOKEN: TOKEN }, undefined, {}, { reason: 'forge-repo-path' }],
    ['an App without its key', app, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE', reason: 'private-key-missing' }],
    ['a key file that is missing', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE: 'missing.pem' }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE', path: /missing\.pem$/, reason: 'private-key-unreadable' }],
    ['a key file that is not PEM', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE: 'app.pem' }, undefined, { 'app.pem': TOKEN }, { reason: 'private-key-invalid' }],
    ['a key that is not PEM', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: TOKEN }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY', reason: 'private-key-invalid' }],
    ['a PEM that does not parse', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY.replace(KEY_BODY, KEY_BODY.slice(0, 20)) }, undefined, {}, { reason: 'private-key-invalid' }],
    ['a key and a key file', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY_FILE: 'app.pem' }, undefined, { 'app.pem': KEY }, { reason: 'private-key-twice' }],
    ['a key without an App id', { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_PRIVATE_KEY', reason: 'app-id-missing' }],
    ['an installation id that is not a number', { ...app, INFRA_SYNC_GITHUB_APP_PRIVATE_KEY: KEY, INFRA_SYNC_GITHUB_APP_INSTALLATION_ID: '12ab' }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_INSTALLATION_ID', reason: 'installation-id-invalid' }],
    ['an API URL that is not one', { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_GITHUB_API_URL: 'api.github.com' }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_API_URL', reason: 'api-url-invalid' }],
    ['an API URL with a token in it', { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GIT_TOKEN: TOKEN, INFRA_SYNC_GITHUB_API_URL: `https://x:${TOKEN}@api.github.com` }, undefined, {}, { reason: 'api-url-invalid' }],
    ['App settings without a forge', { INFRA_SYNC_REPO: 'https://git.example/acme/infra.git', INFRA_SYNC_GITHUB_APP_ID: '1' }, undefined, {}, { setting: 'INFRA_SYNC_GITHUB_APP_ID', reason: 'forge-unset' }],
    ['prPollMs not positive', {}, 'worker: { prPollMs: 0 }\n', {}, { path: 'worker.prPollMs', keyword: 'exclusiveMinimum' }],
  ]
  for (const [name, env, file, files, data] of cases) {
    const err = thrown(() => load(t, env, file, files).config())
    t.match(err, { code: 'CONFIG_INVALID', data }, name)
    const text = `${(err as Error)?.message} ${JSON.stringify((err as { data?: unknown })?.data)}`
    t.notOk([TOKEN, KEY_BODY].some((s) => text.includes(s)), `${name}: no key or token in the message or data`)
  }
})

t.test('sources.<repo>.report: per normalised source, beside a secret, with a forge', async (t) => {
  const file = [
    `repo: ${GITHUB_REPO}`,
    'sources:',
    '  Acme/Orders-API: { secret: a-secret-that-is-long-enough-0123456789, report: status }',
    '  acme/payments: { githubSecret: a-github-hook-secret-long-enough-42, report: deployments }',
    '  acme/web: { secret: a-secret-that-is-long-enough-0123456789 }',
    '',
  ].join('\n')
  const c = load(t, { INFRA_SYNC_GIT_TOKEN: TOKEN }, file).config()
  t.same([...c.sourceReports.entries()], [
    ['acme/orders-api', 'status'],
    ['acme/payments', 'deployments'],
  ])
  t.equal(load(t, {}).config().sourceReports.size, 0)

  const refused: [string, string, Record<string, unknown>][] = [
    ['report alone', `repo: ${GITHUB_REPO}\nsources:\n  acme/a: { report: status }\n`, { path: 'sources.acme/a', reason: 'source-without-secret' }],
    ['an unknown report', 'sources:\n  acme/a: { secret: a-secret-that-is-long-enough-0123456789, report: email }\n', { path: 'sources.acme/a.report', keyword: 'enum' }],
    ['a report without a forge', 'sources:\n  Acme/A: { secret: a-secret-that-is-long-enough-0123456789, report: status }\n', { path: 'sources.Acme/A.report', reason: 'report-without-forge' }],
  ]
  for (const [name, text, data] of refused) t.match(thrown(() => load(t, { INFRA_SYNC_GIT_TOKEN: TOKEN }, text).config()), { code: 'CONFIG_INVALID', data }, name)
})

t.test('githubPacing spaces writes for a forge, and is refused without one', async (t) => {
  const paced = load(t, { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GIT_TOKEN: TOKEN }, 'githubPacing: { writeMs: 50, notificationMs: 100 }\n').config().repo.forge
  t.same(paced?.pacing, { writeMs: 50, notificationMs: 100 })
  const e = thrown(() => load(t, {}, 'githubPacing: { writeMs: 50 }\n').config()) as { code?: string }
  t.equal(e?.code, 'CONFIG_INVALID')
  const negative = thrown(() => load(t, { INFRA_SYNC_REPO: GITHUB_REPO, INFRA_SYNC_GIT_TOKEN: TOKEN }, 'githubPacing: { writeMs: -1 }\n').config()) as { code?: string }
  t.equal(negative?.code, 'CONFIG_INVALID')
})

t.test('an SSH infra repo on GitHub: the forge is implied, owner and repo from its path, the API over https', async (t) => {
  for (const repo of ['git@github.com:Acme/infra.git', 'ssh://git@github.com/Acme/infra.git']) {
    const forge = load(t, { INFRA_SYNC_REPO: repo, INFRA_SYNC_GIT_TOKEN: TOKEN }).config().repo.forge
    t.same(forge, { kind: 'github', apiUrl: 'https://api.github.com', owner: 'Acme', repo: 'infra', auth: { kind: 'token', token: TOKEN } }, repo)
  }
  const ghes = load(t, { INFRA_SYNC_REPO: 'ssh://git@ghe.example:2222/acme/infra.git', INFRA_SYNC_FORGE: 'github', INFRA_SYNC_GIT_TOKEN: TOKEN }).config().repo.forge
  t.equal(ghes?.apiUrl, 'https://ghe.example/api/v3')
  // An SSH key is enough for git: without API credentials there is no forge (pull-request environments are skipped)…
  t.equal(load(t, { INFRA_SYNC_REPO: 'git@github.com:acme/infra.git' }).config().repo.forge, undefined)
  // …unless one is asked for.
  const e = thrown(() => load(t, { INFRA_SYNC_REPO: 'git@github.com:acme/infra.git', INFRA_SYNC_FORGE: 'github' }).config()) as { code?: string; data?: { reason?: string } }
  t.equal(e?.code, 'CONFIG_INVALID')
  t.equal(e?.data?.reason, 'forge-credentials-missing', 'the API still needs a token or an App')
})
