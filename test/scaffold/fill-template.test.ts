import path from 'node:path'
import t from 'tap'
import { parse } from 'yaml'
import { InfraSyncError } from '../../src/core/errors.js'
import { fillTemplate, type FillInput } from '../../src/scaffold/fill-template.js'
import { BASIC, folder, GOLDEN, readFolder, text } from './folder-files.js'

const ORDERS: FillInput = { service: 'orders-api', source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api' }
const basic = readFolder(BASIC)

const codeOf = (fn: () => unknown) => {
  try {
    fn()
  } catch (e) {
    if (e instanceof InfraSyncError) return e.code
    throw e
  }
  return 'no error'
}

t.test('golden: the basic folder filled in with its own environments', async (t) => {
  const r = fillTemplate(basic, ORDERS)
  t.same(text(r.files), text(readFolder(path.join(GOLDEN, 'orders-api'))))
  t.same(r.environments, ['dev', 'prod'])
})

t.test('golden: --env dev,staging,production (two environments the template does not have)', async (t) => {
  const r = fillTemplate(basic, { ...ORDERS, environments: ['dev', 'staging', 'production'] })
  t.same(text(r.files), text(readFolder(path.join(GOLDEN, 'orders-api-dev-staging-production'))))
  t.same(r.derived, [
    { name: 'dev', from: 'dev' },
    { name: 'staging', from: 'dev', overlay: 'dev' },
    // Prod-like: the template's prod entry, so it is still delivered by pull request under prod's policy; its folder, as every new one, from the first overlay.
    { name: 'production', from: 'prod', overlay: 'dev' },
  ])
  const config = parse(text(r.files)['infra-sync.yaml']!)
  t.same(config.environments, {
    dev: { path: 'overlays/dev', update: 'commit' },
    staging: { path: 'overlays/staging', update: 'commit' },
    production: { path: 'overlays/production', update: 'pull-request', policy: 'semver:>=1.0.0' },
  })
})

t.test('only the bytes that name the example service change; every comment stays', async (t) => {
  const before = text(basic)
  const after = text(fillTemplate(basic, ORDERS).files)
  t.same(Object.keys(after).sort(), Object.keys(before).sort())
  for (const [file, was] of Object.entries(before)) {
    const a = was.split('\n')
    const b = after[file]!.split('\n')
    t.equal(b.length, a.length, file)
    a.forEach((line, i) => {
      if (line !== b[i]) t.ok(line.includes('my-service') && !line.trimStart().startsWith('#'), `${file}:${i + 1} changed: ${line}`)
      if (line.trimStart().startsWith('#')) t.equal(b[i], line, `${file}:${i + 1} comment kept`)
    })
  }
})

t.test('--env prod alone: only its overlay and its entry', async (t) => {
  const r = text(fillTemplate(basic, { ...ORDERS, environments: ['prod'] }).files)
  t.same(Object.keys(r).filter((p) => p.startsWith('overlays/')), ['overlays/prod/kustomization.yaml'])
  t.same(Object.keys(parse(r['infra-sync.yaml']!).environments), ['prod'])
  t.match(r['infra-sync.yaml'], /# a reviewed change/)
})

t.test('environments in the order asked for', async (t) => {
  const r = text(fillTemplate(basic, { ...ORDERS, environments: ['prod', 'dev'] }).files)
  t.same(Object.keys(parse(r['infra-sync.yaml']!).environments), ['prod', 'dev'])
})

t.test('a template of its own: tags, digests, quoting, other images and names around it', async (t) => {
  const template = folder({
    'infra-sync.yaml': '# ours\nsource: "team/example"\nimage: registry.example/team/example\nimagePolicies: [flux-system:example]\n',
    'overlays/qa/deploy.yaml': [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata:',
      '  name: "example"',
      '  labels: { app: example-api, env: qa }',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: main',
      '          image: registry.example/team/example:1.2.3 # infra-sync: registry.example/team/example',
      '        - name: sidecar',
      "          image: 'docker.io/library/envoy:v1@sha256:" + 'a'.repeat(64) + "'",
      '---',
      'kind: ConfigMap',
      'metadata:',
      '  name: example2',
      'data:',
      '  text: |',
      '    example runs here',
      '',
    ].join('\n'),
    'README.md': 'example stays as it is\n',
  })
  const r = fillTemplate(template, { service: 'orders', source: 'acme/orders', image: 'ghcr.io/acme/orders', environments: ['qa', 'prod'] })
  const out = text(r.files)
  t.same(r.derived, [{ name: 'qa', from: 'qa' }, { name: 'prod', from: 'qa', overlay: 'qa' }])
  t.same(Object.keys(out).sort(), ['README.md', 'infra-sync.yaml', 'overlays/prod/deploy.yaml', 'overlays/qa/deploy.yaml'])
  t.equal(out['README.md'], 'example stays as it is\n', 'not YAML: copied byte for byte')
  // Without environments: in the template, the default (one per overlay) needs no entry.
  t.equal(out['infra-sync.yaml'], '# ours\nsource: "acme/orders"\nimage: ghcr.io/acme/orders\nimagePolicies: [flux-system:orders]\n')
  const qa = out['overlays/qa/deploy.yaml']!
  t.match(qa, /\n {2}name: "orders"\n/)
  t.match(qa, /labels: \{ app: orders-api, env: qa \}/)
  t.match(qa, /image: ghcr\.io\/acme\/orders:1\.2\.3 # infra-sync: registry\.example\/team\/example\n/, 'the tag kept, the comment untouched')
  t.match(qa, /docker\.io\/library\/envoy:v1@sha256:a{64}'/, 'another image is left alone')
  t.match(qa, /name: example2\n/, 'not a whole name: left alone')
  t.match(qa, /\n {4}orders runs here\n/, 'a whole name inside a block scalar too')
  t.match(out['overlays/prod/deploy.yaml'], /labels: \{ app: orders-api, env: prod \}/, 'derived from the first overlay, its environment renamed')
})

t.test('refusals, each with its code', async (t) => {
  const cases: [string, FillInput, string][] = [
    ['an upper-case name', { ...ORDERS, service: 'Orders' }, 'SERVICE_NAME_INVALID'],
    ['a name with a dot', { ...ORDERS, service: 'orders.api' }, 'SERVICE_NAME_INVALID'],
    ['a name ending in -', { ...ORDERS, service: 'orders-' }, 'SERVICE_NAME_INVALID'],
    ['a path', { ...ORDERS, service: '../orders' }, 'SERVICE_NAME_INVALID'],
    ['<service>-prod over 63 characters', { ...ORDERS, service: 'a'.repeat(59) }, 'SERVICE_NAME_INVALID'],
    ['an environment that is not a label', { ...ORDERS, environments: ['dev', 'Prod'] }, 'ENVIRONMENT_INVALID'],
    ['an environment with a slash', { ...ORDERS, environments: ['dev/x'] }, 'ENVIRONMENT_INVALID'],
    ['a source without a repository', { ...ORDERS, source: 'acme' }, 'SOURCE_INVALID'],
    ['a source with ..', { ...ORDERS, source: 'acme/..' }, 'SOURCE_INVALID'],
    ['an image with a tag', { ...ORDERS, image: 'ghcr.io/acme/orders-api:1.0' }, 'INVALID_IMAGE_REF'],
    ['an image with a digest', { ...ORDERS, image: `ghcr.io/acme/orders-api@sha256:${'a'.repeat(64)}` }, 'INVALID_IMAGE_REF'],
    ['an image with upper case in its path', { ...ORDERS, image: 'ghcr.io/Acme/orders' }, 'INVALID_IMAGE_REF'],
  ]
  for (const [name, input, code] of cases) t.equal(codeOf(() => fillTemplate(basic, input)), code, name)
  // 58 characters + "-prod" is 63: the longest name the template's environments allow.
  t.equal(codeOf(() => fillTemplate(basic, { ...ORDERS, service: 'a'.repeat(58) })), 'no error')
})

t.test('a template new cannot fill in', async (t) => {
  const cases: [string, Record<string, string>][] = [
    ['no infra-sync.yaml', { 'overlays/dev/kustomization.yaml': 'images: []\n' }],
    ['infra-sync.yaml without an image', { 'infra-sync.yaml': 'source: acme/x\n' }],
    ['YAML that does not parse', { 'infra-sync.yaml': 'source: acme/x\nimage: ghcr.io/acme/x\n', 'base/x.yaml': 'a: [b\n' }],
    ['environments in flow style', { 'infra-sync.yaml': 'source: acme/x\nimage: ghcr.io/acme/x\nenvironments: { dev: {} }\n', 'overlays/dev/k.yaml': 'a: 1\n' }],
  ]
  for (const [name, files] of cases) t.equal(codeOf(() => fillTemplate(folder(files), { ...ORDERS, environments: ['dev', 'qa'] })), 'TEMPLATE_INVALID', name)
  const helm = folder({ 'infra-sync.yaml': 'source: acme/x\nimage: ghcr.io/acme/x\nenvironments:\n  dev:\n    path: .\n    file: values-dev.yaml\n', 'values-dev.yaml': 'image: ghcr.io/acme/x\n' })
  t.equal(codeOf(() => fillTemplate(helm, { ...ORDERS, environments: ['dev', 'qa'] })), 'TEMPLATE_INVALID', 'an environment outside overlays/ is not derived from')
  t.equal(codeOf(() => fillTemplate(helm, { ...ORDERS, environments: ['dev'] })), 'no error', 'but is kept as it is')
})
