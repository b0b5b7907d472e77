import t from 'tap'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { refMatches } from '../../src/projects/branch-filter.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

const cfg = (source: string, image: string, extra = '') => `source: ${source}\nimage: ${image}\n${extra}`

t.test('three lines are enough; defaults fill the rest', async (t) => {
  const c = parseServiceConfig(cfg('Acme/Orders-API', 'ghcr.io/acme/orders-api'), 'services/orders-api/infra-sync.yaml')
  t.same(c, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', imageAsWritten: 'ghcr.io/acme/orders-api', branches: ['main'], policy: 'newest-build', environments: null })
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
    { name: 'prod', path: 'deploy/prod', update: 'pull-request', policy: 'semver:>=1.0.0', file: 'k.yaml' },
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
  t.same(orders.targets.map((x) => [x.environment, x.file, x.update]), [
    ['dev', 'services/orders-api/overlays/dev/kustomization.yaml', 'commit'],
    ['prod', 'services/orders-api/overlays/prod/kustomization.yaml', 'commit'],
  ])
  const empty = r.services.get('empty-env')!.targets[0]!
  t.equal(empty.file, null)
  t.match(empty.problem, /no file infra-sync can edit/)
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
