import t from 'tap'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { refMatches } from '../../src/projects/branch-filter.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

const cfg = (source: string, image: string, extra = '') => `source: ${source}\nimage: ${image}\n${extra}`

t.test('three lines are enough; defaults fill the rest', async (t) => {
  const c = parseServiceConfig(cfg('Acme/Orders-API', 'ghcr.io/acme/orders-api'), 'services/orders-api/infra-sync.yaml')
  t.same(c, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', imageAsWritten: 'ghcr.io/acme/orders-api', branches: ['main'], policy: 'newest-build', environments: null, imagePolicies: [], notify: [] })
})

t.test('environments, policies and branches', async (t) => {
  const c = parseServiceConfig(
    cfg('acme/a', 'nginx', 'branches: [main, "release/*"]\npolicy: semver\nenvironments:\n  dev: {}\n  prod: { path: deploy/prod, update: pull-request, policy: "semver:>=1.0.0", file: k.yaml }\n'),
    'f',
  )
  t.equal(c.image, 'docker.io/library/nginx')
  t.same(c.branches, ['main', 'release/*'])
  t.same(c.environments, [
    { name: 'dev', path: 'overlays/dev', update: 'commit' },
    { name: 'prod', path: 'deploy/prod', update: 'pull-request', merge: 'manual', mergeMethod: 'merge', reviewers: [], labels: [], policy: 'semver:>=1.0.0', file: 'k.yaml' },
  ])
})

t.test('bad service configs are refused with CONFIG_INVALID', async (t) => {
  const bad = [
    '',
    '- a list',
    'image: x/y\n',
    cfg('not-a-repo', 'x/y'),
    cfg('a/b', 'Not An Image'),
    cfg('a/b', 'x/y', 'enviroments: {}\n'),
    cfg('a/b', 'x/y', 'policy: fastest\n'),
    cfg('a/b', 'x/y', 'policy: "semver:not a range!!"\n'),
    cfg('a/b', 'x/y', 'branches: []\n'),
    cfg('a/b', 'x/y', 'environments:\n  Dev: {}\n'),
    cfg('a/b', 'x/y', 'environments:\n  dev: { path: ../../other }\n'),
    cfg('a/b', 'x/y', 'environments:\n  dev: { path: /etc }\n'),
    cfg('a/b', 'x/y', 'environments:\n  dev: { path: .git/hooks }\n'),
    cfg('a/b', 'x/y', 'environments:\n  dev: { update: force-push }\n'),
    cfg('a/b', 'x/y', 'environments:\n  dev: { colour: blue }\n'),
    'source: a/b\nsource: c/d\nimage: x/y\n',
    'a: &a [1]\nb: *a\n'.repeat(1) + 'source: [',
  ]
  for (const text of bad) t.throws(() => parseServiceConfig(text, 'services/x/infra-sync.yaml'), { code: 'CONFIG_INVALID' }, JSON.stringify(text))
})

t.test('branch globs', async (t) => {
  t.ok(refMatches('refs/heads/main', ['main']))
  t.notOk(refMatches('refs/heads/mainline', ['main']))
  t.ok(refMatches('refs/heads/release/1.2', ['release/*']))
  t.notOk(refMatches('refs/heads/release/1/2', ['release/*']))
  t.ok(refMatches('refs/heads/release/1/2', ['release/**']))
  t.ok(refMatches('refs/tags/v1.2.3', ['refs/tags/v*']))
  t.notOk(refMatches('refs/tags/v1.2.3', ['v*']))
  t.notOk(refMatches('refs/heads/a.b', ['a?c']))
})

t.test('the registry indexes services by image and finds each environment file', async (t) => {
  const tree = new MemoryTree({
    ...serviceFiles('orders-api', cfg('acme/orders-api', 'ghcr.io/acme/orders-api'), { dev: '1.0.0', prod: '0.9.0' }, 'ghcr.io/acme/orders-api'),
    ...serviceFiles('orders-api-canary', cfg('acme/orders-api', 'ghcr.io/acme/orders-api'), { dev: '1.0.0' }, 'ghcr.io/acme/orders-api'),
    ...serviceFiles('broken', 'source: [', {}, 'x/y'),
    'services/no-config/base/kustomization.yaml': 'resources: []\n',
    'services/empty-env/infra-sync.yaml': cfg('acme/e', 'ghcr.io/acme/e'),
    'services/empty-env/overlays/dev/README.md': 'nothing to edit here\n',
    'argocd/applicationset.yaml': 'kind: ApplicationSet\n',
  })
  const r = await loadRegistry(tree)
  t.same([...r.services.keys()].sort(), ['broken', 'empty-env', 'no-config', 'orders-api', 'orders-api-canary'])
  t.same(r.byImage.get('ghcr.io/acme/orders-api')!.map((s) => s.name).sort(), ['orders-api', 'orders-api-canary'])
  t.equal(r.services.get('broken')!.error!.code, 'CONFIG_INVALID')
  t.equal(r.services.get('no-config')!.config, null)
  const orders = r.services.get('orders-api')!
  t.same(orders.targets.map((x) => [x.environment, x.files, x.update]), [
    ['dev', ['services/orders-api/overlays/dev/kustomization.yaml'], 'commit'],
    ['prod', ['services/orders-api/overlays/prod/kustomization.yaml'], 'commit'],
  ])
  const empty = r.services.get('empty-env')!.targets[0]!
  t.same(empty.files, [])
  t.match(empty.problem, /no file infra-sync can edit/)
})

t.test('without a kustomization every YAML file of the folder is a candidate; format, key and file narrow it', async (t) => {
  const tree = new MemoryTree({
    'services/plain/infra-sync.yaml': cfg('acme/plain', 'ghcr.io/acme/plain'),
    'services/plain/overlays/dev/deployment.yaml': 'kind: Deployment\n',
    'services/plain/overlays/dev/service.yml': 'kind: Service\n',
    'services/plain/overlays/dev/notes.txt': 'not yaml\n',
    'services/plain/overlays/dev/Chart.yaml': 'name: plain\n',
    'services/chart/infra-sync.yaml': [
      'source: acme/chart',
      'image: ghcr.io/acme/chart',
      'format: helm',
      'key: api.image',
      'imagePolicies: flux-system:chart',
      'environments:',
      '  dev: { path: ., file: values-dev.yaml }',
      '  prod: { path: ., file: values-prod.yaml, key: api.image.tag }',
      '',
    ].join('\n'),
    'services/chart/values-dev.yaml': 'api: {}\n',
    'services/chart/values-prod.yaml': 'api: {}\n',
    'services/both/infra-sync.yaml': cfg('acme/both', 'ghcr.io/acme/both'),
    'services/both/overlays/dev/kustomization.yaml': 'resources: [deployment.yaml]\n',
    'services/both/overlays/dev/deployment.yaml': 'kind: Deployment\n',
  })
  const r = await loadRegistry(tree)
  t.same(r.services.get('plain')!.targets[0]!.files, ['services/plain/overlays/dev/deployment.yaml', 'services/plain/overlays/dev/service.yml'])
  t.equal(r.services.get('plain')!.targets[0]!.explicit, false)
  t.same(r.services.get('both')!.targets[0]!.files, ['services/both/overlays/dev/kustomization.yaml'], 'a kustomization owns its folder')
  const chart = r.services.get('chart')!
  t.same(chart.config!.imagePolicies, ['flux-system:chart'])
  t.same(
    chart.targets.map((x) => [x.environment, x.files, x.format, x.key, x.explicit]),
    [
      ['dev', ['services/chart/values-dev.yaml'], 'helm', 'api.image', true],
      ['prod', ['services/chart/values-prod.yaml'], 'helm', 'api.image.tag', true],
    ],
  )
})

t.test('format, key and imagePolicies are validated', async (t) => {
  const bad = [
    'format: jsonnet\n',
    'key: "a..b"\n',
    'imagePolicies: [NotAPolicy]\n',
    'environments:\n  dev: { format: nope }\n',
    'environments:\n  dev: { pin: [1] }\n',
    'format: kustomize\nkey: image.tag\n',
    'key: image.tag\nenvironments:\n  dev: { format: manifests }\n',
    'environments:\n  dev: { pin: 1.10 }\n',
    'environments:\n  dev: { pin: "not a tag!" }\n',
  ]
  const implied = parseServiceConfig(cfg('acme/a', 'ghcr.io/acme/a') + 'environments:\n  dev: { key: api.image }\n', 'x')
  t.equal(implied.environments![0]!.format, 'helm', 'a key implies Helm values')
  const pins = parseServiceConfig(cfg('acme/a', 'ghcr.io/acme/a') + 'environments:\n  a: { pin: true }\n  b: { pin: 1.4.0 }\n  c: { pin: false }\n', 'x')
  t.same(pins.environments!.map((e) => e.pin), [true, '1.4.0', undefined])
  for (const extra of bad) {
    t.throws(() => parseServiceConfig(cfg('acme/a', 'ghcr.io/acme/a') + extra, 'services/a/infra-sync.yaml'), { code: 'CONFIG_INVALID' }, extra)
  }
})

t.test('an unchanged folder is not read again', async (t) => {
  const files = {
    ...serviceFiles('a', cfg('acme/a', 'ghcr.io/acme/a'), { dev: '1' }, 'ghcr.io/acme/a'),
    ...serviceFiles('b', cfg('acme/b', 'ghcr.io/acme/b'), { dev: '1' }, 'ghcr.io/acme/b'),
  }
  const first = await loadRegistry(new MemoryTree(files))
  const same = new MemoryTree(files)
  t.equal(await loadRegistry(same, first), first, 'the same registry object comes back')
  t.equal(same.reads, 0)
  const changed = new MemoryTree({ ...files, 'services/b/infra-sync.yaml': cfg('acme/b', 'ghcr.io/acme/b2') })
  const next = await loadRegistry(changed, first)
  t.equal(changed.reads, 1, 'only the changed folder was read')
  t.equal(next.services.get('a'), first.services.get('a'))
  t.ok(next.byImage.has('ghcr.io/acme/b2'))
  t.notOk(next.byImage.has('ghcr.io/acme/b'))
})

t.test('a service whose infra-sync.yaml has an unknown key is refused on its own, saying where and what was meant', async (t) => {
  const tree = new MemoryTree({
    ...serviceFiles('typo', cfg('acme/t', 'ghcr.io/acme/t', 'environments:\n  dev: { updte: pull-request }\n'), { dev: '1' }, 'ghcr.io/acme/t'),
    ...serviceFiles('fine', cfg('acme/f', 'ghcr.io/acme/f'), { dev: '1' }, 'ghcr.io/acme/f'),
  })
  const r = await loadRegistry(tree)
  t.match(r.services.get('typo')!.error, {
    code: 'CONFIG_INVALID',
    data: { file: 'services/typo/infra-sync.yaml', path: 'environments.dev.updte', keyword: 'additionalProperties', suggestion: 'update' },
  })
  t.notOk(r.byImage.has('ghcr.io/acme/t'), 'it deploys nothing until fixed')
  t.ok(r.byImage.has('ghcr.io/acme/f'), 'the other services are unaffected')
})
