import t from 'tap'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

const head = 'source: acme/a\nimage: ghcr.io/acme/a\n'
const parse = (extra: string) => parseServiceConfig(head + extra, 'services/a/infra-sync.yaml')
const settings = (e: { merge?: unknown; mergeMethod?: unknown; reviewers?: unknown; labels?: unknown }) => [e.merge, e.mergeMethod, e.reviewers, e.labels]

t.test('a pull-request environment gets the defaults: manual merge, merge method, no reviewers, no labels', async (t) => {
  const c = parse('environments:\n  dev: {}\n  prod: { update: pull-request }\n')
  const [dev, prod] = c.environments!
  t.same(settings(dev!), [undefined, undefined, undefined, undefined], 'a commit environment has none')
  t.same(settings(prod!), ['manual', 'merge', [], []])
})

t.test('per environment, and as service defaults an environment overrides', async (t) => {
  const c = parse(
    [
      'merge: auto',
      'reviewers: [alice, acme/platform]',
      'labels: [deploy]',
      'environments:',
      '  dev: {}',
      '  staging: { update: pull-request }',
      '  prod: { update: pull-request, merge: manual, mergeMethod: squash, reviewers: [acme/ops], labels: [deploy, prod] }',
      '',
    ].join('\n'),
  )
  t.same(
    c.environments!.map((e) => [e.name, ...settings(e)]),
    [
      ['dev', undefined, undefined, undefined, undefined],
      ['staging', 'auto', 'merge', ['alice', 'acme/platform'], ['deploy']],
      ['prod', 'manual', 'squash', ['acme/ops'], ['deploy', 'prod']],
    ],
  )
})

t.test('the registry gives each pull-request target its settings', async (t) => {
  const cfg = `${head}environments:\n  dev: {}\n  prod: { update: pull-request, merge: auto, mergeMethod: rebase, reviewers: [bob], labels: [x] }\n`
  const r = await loadRegistry(new MemoryTree(serviceFiles('a', cfg, { dev: '1', prod: '1' }, 'ghcr.io/acme/a')))
  const targets = r.services.get('a')!.targets
  t.same(
    targets.map((x) => [x.environment, x.update, ...settings(x)]),
    [
      ['dev', 'commit', undefined, undefined, undefined, undefined],
      ['prod', 'pull-request', 'auto', 'rebase', ['bob'], ['x']],
    ],
  )
})

t.test('a pull-request setting on a commit environment is a config error that says where', async (t) => {
  const cases: [string, string][] = [
    ['environments:\n  dev: { merge: auto }\n', 'environments.dev.merge'],
    ['environments:\n  dev: { update: commit, mergeMethod: squash }\n', 'environments.dev.mergeMethod'],
    ['environments:\n  dev: { reviewers: [alice] }\n  prod: { update: pull-request }\n', 'environments.dev.reviewers'],
    ['environments:\n  dev: { labels: [x] }\n', 'environments.dev.labels'],
    // A service default with no pull-request environment to apply to.
    ['merge: auto\n', 'merge'],
    ['labels: [x]\nenvironments:\n  dev: {}\n', 'labels'],
  ]
  for (const [extra, path] of cases) t.throws(() => parse(extra), { code: 'CONFIG_INVALID', data: { file: 'services/a/infra-sync.yaml', path } }, extra)
})

t.test('values the schema refuses', async (t) => {
  const bad = [
    'environments:\n  prod: { update: pull-request, merge: sometimes }\n',
    'environments:\n  prod: { update: pull-request, mergeMethod: fast-forward }\n',
    'environments:\n  prod: { update: pull-request, reviewers: ["not a login"] }\n',
    'environments:\n  prod: { update: pull-request, reviewers: [a/b/c] }\n',
    'environments:\n  prod: { update: pull-request, reviewers: alice }\n',
    'environments:\n  prod: { update: pull-request, labels: [""] }\n',
    `environments:\n  prod: { update: pull-request, labels: [${'x'.repeat(51)}] }\n`,
    'environments:\n  prod: { update: pull-request, labels: [a, a] }\n',
    'environments:\n  prod: { update: pull-request, merge: auto, automerge: true }\n',
  ]
  for (const extra of bad) t.throws(() => parse(extra), { code: 'CONFIG_INVALID' }, extra)
})
