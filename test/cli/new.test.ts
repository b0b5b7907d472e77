import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { globMatch } from '../../src/validate/path-glob.js'
import { FsTree } from '../../src/validate/fs-tree.js'
import { validateCheckout } from '../../src/validate/validate-checkout.js'
import { CLI } from '../helpers/child-server.js'
import { makeCheckout, read, REPO_ROOT } from '../validate/checkout-fixture.js'

const run = (...args: string[]) => spawnSync(process.execPath, [CLI, 'new', ...args], { encoding: 'utf8', timeout: 60_000 })
const codeOf = (stderr: string) => /\[([A-Z_]+)\]\n?$/.exec(stderr)?.[1] ?? stderr

/** Every file under `dir` and its content: to prove a refusal wrote nothing. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (rel: string) => {
    for (const e of fs.readdirSync(path.join(dir, rel), { withFileTypes: true })) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) {
        out[`${p}/`] = ''
        walk(p)
      } else out[p] = fs.readFileSync(path.join(dir, p), 'utf8')
    }
  }
  walk('')
  return out
}

const filesUnder = (dir: string, folder: string) => Object.keys(snapshot(dir)).filter((p) => p.startsWith(`${folder}/`) && !p.endsWith('/')).sort()

/** The git directory generators' paths in the ApplicationSet the template ships. */
function generatorPaths(): { path: string; exclude: boolean }[] {
  const doc = parse(fs.readFileSync(path.join(REPO_ROOT, 'infra-template', 'argocd', 'applicationset.yaml'), 'utf8'))
  return (doc.spec.generators as { git?: { directories?: { path: string; exclude?: boolean }[] } }[]).flatMap((g) => (g.git?.directories ?? []).map((d) => ({ path: d.path, exclude: d.exclude === true })))
}

const registered = (dir: string) => {
  const rules = generatorPaths()
  return rules.some((r) => !r.exclude && globMatch(r.path, dir)) && !rules.some((r) => r.exclude && globMatch(r.path, dir))
}

t.test('a new service from infra-template/basic: filled in, valid, and registered by the ApplicationSet as it is', async (t) => {
  const dir = makeCheckout(t)
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--dir', dir, '--json')
  t.equal(r.status, 0, r.stderr)
  const created = JSON.parse(r.stdout) as string[]
  t.same(created, filesUnder(dir, 'services/billing'), '--json lists exactly the files written')
  t.same(created, [
    'services/billing/base/deployment.yaml',
    'services/billing/base/kustomization.yaml',
    'services/billing/base/service.yaml',
    'services/billing/infra-sync.yaml',
    'services/billing/overlays/dev/kustomization.yaml',
    'services/billing/overlays/prod/kustomization.yaml',
  ])
  const config = parse(read(dir, 'services/billing/infra-sync.yaml'))
  t.equal(config.source, 'acme/billing')
  t.equal(config.image, 'ghcr.io/acme/billing')
  const deployment = parse(read(dir, 'services/billing/base/deployment.yaml'))
  t.equal(deployment.metadata.name, 'billing')
  t.equal(deployment.spec.template.spec.containers[0].image, 'ghcr.io/acme/billing')
  t.equal(parse(read(dir, 'services/billing/overlays/prod/kustomization.yaml')).images[0].name, 'ghcr.io/acme/billing')
  for (const f of created) t.notMatch(read(dir, f).replace(/^\s*#.*$/gm, ''), /my-service/, `${f}: no name of the template left outside comments`)

  const checked = await validateCheckout(new FsTree(dir))
  t.same(checked.findings, [], 'validate passes on the checkout with it')
  for (const env of ['dev', 'prod']) t.ok(registered(`services/billing/overlays/${env}`), `the ApplicationSet registers overlays/${env}`)
  t.notOk(registered('services/billing/base'), 'and not base/')
})

t.test('text output names the folder and its files', async (t) => {
  const dir = makeCheckout(t)
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--dir', dir)
  t.equal(r.status, 0, r.stderr)
  t.match(r.stdout, /services\/billing\//)
  t.match(r.stdout, /services\/billing\/overlays\/dev\/kustomization\.yaml/)
})

t.test('--env: exactly those overlays and entries; a new one made from the first overlay', async (t) => {
  const dir = makeCheckout(t)
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--env', 'staging,prod', '--dir', dir)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.same(fs.readdirSync(path.join(dir, 'services/billing/overlays')).sort(), ['prod', 'staging'])
  const config = parse(read(dir, 'services/billing/infra-sync.yaml'))
  t.same(Object.keys(config.environments), ['staging', 'prod'])
  t.same(config.environments.staging, { path: 'overlays/staging', update: 'commit' })
  t.equal(config.environments.prod.update, 'pull-request')
  t.same((await validateCheckout(new FsTree(dir))).findings, [])
  t.ok(registered('services/billing/overlays/staging'))
})

t.test("a checkout's own basic/ is the template", async (t) => {
  const dir = makeCheckout(t)
  fs.cpSync(path.join(REPO_ROOT, 'infra-template', 'basic'), path.join(dir, 'basic'), { recursive: true })
  const deployment = path.join(dir, 'basic', 'base', 'deployment.yaml')
  fs.writeFileSync(deployment, fs.readFileSync(deployment, 'utf8').replace('replicas: 1', 'replicas: 2 # acme runs two of everything'))
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--dir', dir)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.match(read(dir, 'services/billing/base/deployment.yaml'), /replicas: 2 # acme runs two of everything\n/)
  t.match(read(dir, 'services/billing/base/deployment.yaml'), /name: billing\n/)
  t.same((await validateCheckout(new FsTree(dir))).findings, [])
})

t.test('findings elsewhere in the checkout do not stop a valid new folder', async (t) => {
  const dir = makeCheckout(t, { 'services/web-frontend/infra-sync.yaml': 'source: acme/web\nimage: ghcr.io/acme/web-frontend\npolcy: semver\n' })
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--dir', dir)
  t.equal(r.status, 0, r.stdout + r.stderr)
  t.ok(fs.existsSync(path.join(dir, 'services/billing/infra-sync.yaml')))
})

t.test('refusals: exit code, error code, and nothing written', async (t) => {
  const ok = ['--source', 'acme/billing', '--image', 'ghcr.io/acme/billing']
  const cases: [string, string[], number, string][] = [
    ['an upper-case name', ['Billing', ...ok], 1, 'SERVICE_NAME_INVALID'],
    ['a name that leaves services/', ['../billing', ...ok], 1, 'SERVICE_NAME_INVALID'],
    ['<service>-<environment> longer than 63', ['b'.repeat(60), ...ok], 1, 'SERVICE_NAME_INVALID'],
    ['a folder that exists', ['orders-api', ...ok], 1, 'SERVICE_EXISTS'],
    ['a source that is not owner/repo', ['billing', '--source', 'billing', '--image', 'ghcr.io/acme/billing'], 1, 'SOURCE_INVALID'],
    ['an image with a tag', ['billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing:1.0.0'], 1, 'INVALID_IMAGE_REF'],
    ['an image that is not one', ['billing', '--source', 'acme/billing', '--image', 'ghcr.io/Acme//billing'], 1, 'INVALID_IMAGE_REF'],
    ['an environment that is not a DNS label', ['billing', ...ok, '--env', 'dev,Prod'], 1, 'ENVIRONMENT_INVALID'],
    // Registered by the ApplicationSet, but the AppProject allows only *-dev, *-staging and *-prod namespaces.
    ['an environment the AppProject does not allow', ['billing', ...ok, '--env', 'dev,qa'], 1, 'SCAFFOLD_INVALID'],
    ['an image another service already deploys for that source', ['orders-api-2', '--source', 'acme/orders-api', '--image', 'ghcr.io/acme/orders-api'], 1, 'SCAFFOLD_INVALID'],
    ['an empty environment in --env', ['billing', ...ok, '--env', 'dev,,prod'], 2, 'USAGE'],
    ['an environment named twice', ['billing', ...ok, '--env', 'dev,dev'], 2, 'USAGE'],
  ]
  for (const [name, args, status, code] of cases) {
    const dir = makeCheckout(t)
    const before = snapshot(dir)
    const r = run(...args, '--dir', dir)
    t.equal(r.status, status, `${name}: ${r.stderr}`)
    t.equal(codeOf(r.stderr), code, name)
    t.same(snapshot(dir), before, `${name}: nothing written`)
  }
  const missing = run('billing', ...ok, '--dir', path.join(REPO_ROOT, `no-such-dir-${process.pid}`))
  t.equal(missing.status, 2, 'a --dir that is not there')
  t.equal(codeOf(missing.stderr), 'USAGE')
  const noImage = run('billing', '--source', 'acme/billing', '--dir', makeCheckout(t))
  t.equal(noImage.status, 2, 'a required option missing')
})

t.test('SCAFFOLD_INVALID prints the findings (--json: as validate --json does)', async (t) => {
  const dir = makeCheckout(t)
  const r = run('billing', '--source', 'acme/billing', '--image', 'ghcr.io/acme/billing', '--env', 'dev,qa', '--dir', dir, '--json')
  t.equal(r.status, 1)
  const findings = JSON.parse(r.stdout) as { file: string; code: string }[]
  t.same(findings.map((f) => [f.file, f.code]), [['services/billing/overlays/qa', 'NAMESPACE_NOT_PERMITTED']])
})
