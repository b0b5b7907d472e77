import t from 'tap'
import { loadRegistry } from '../../src/projects/registry.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { MemoryTree, serviceFiles } from '../helpers/memory-tree.js'

/**
 * `promote:` and `application` as users write them in infra-sync.yaml: read
 * through parseServiceConfig, refused with CONFIG_INVALID naming the field,
 * and carried onto the registry's targets with the Application to watch.
 */
const FILE = 'services/orders-api/infra-sync.yaml'
const IMG = 'ghcr.io/acme/orders-api'
const head = `source: acme/orders-api\nimage: ${IMG}\n`
const parse = (envs: string) => parseServiceConfig(`${head}environments:\n${envs}`, FILE)
const env = (c: ReturnType<typeof parse>, name: string) => c.environments!.find((e) => e.name === name)!

t.test('a valid promote is read, healthyFor in milliseconds', async (t) => {
  const c = parse('  dev: {}\n  prod: { promote: { from: dev, healthyFor: 10m } }\n')
  t.same(env(c, 'prod').promote, { from: 'dev', healthyFor: '10m', healthyForMs: 600_000 })
  t.equal(env(c, 'dev').promote, undefined, 'dev promotes from nowhere')
})

t.test('healthyFor omitted (or 0s) is zero: healthy once is enough', async (t) => {
  t.same(env(parse('  dev: {}\n  prod: { promote: { from: dev } }\n'), 'prod').promote, { from: 'dev', healthyFor: '0s', healthyForMs: 0 })
  t.same(env(parse('  dev: {}\n  prod: { promote: { from: dev, healthyFor: 0s } }\n'), 'prod').promote, { from: 'dev', healthyFor: '0s', healthyForMs: 0 })
})

t.test('a chain dev → staging → prod is allowed', async (t) => {
  const c = parse('  dev: {}\n  staging: { promote: { from: dev } }\n  prod: { promote: { from: staging, healthyFor: 1h30m } }\n')
  t.same(c.environments!.map((e) => [e.name, e.promote?.from, e.promote?.healthyForMs]), [
    ['dev', undefined, undefined],
    ['staging', 'dev', 0],
    ['prod', 'staging', 5_400_000],
  ])
})

t.test('a bad promote is CONFIG_INVALID naming the field', async (t) => {
  const cases: [string, string, string][] = [
    ['from an unknown environment', '  dev: {}\n  prod: { promote: { from: qa } }\n', 'environments.prod.promote.from'],
    ['from itself', '  dev: {}\n  prod: { promote: { from: prod } }\n', 'environments.prod.promote.from'],
    ['a circle dev → prod → dev', '  dev: { promote: { from: prod } }\n  prod: { promote: { from: dev } }\n', 'environments.dev.promote.from'],
    ['a longer circle', '  a: { promote: { from: c } }\n  b: { promote: { from: a } }\n  c: { promote: { from: b } }\n', 'environments.a.promote.from'],
    ['a bad duration', '  dev: {}\n  prod: { promote: { from: dev, healthyFor: soon } }\n', 'environments.prod.promote.healthyFor'],
    // A chain that runs into a circle is named from the circle, not from the chain's start.
    ['a chain into a circle', '  a: { promote: { from: b } }\n  b: { promote: { from: c } }\n  c: { promote: { from: b } }\n', 'environments.b.promote.from'],
    ['a duration in bare numbers', '  dev: {}\n  prod: { promote: { from: dev, healthyFor: "600" } }\n', 'environments.prod.promote.healthyFor'],
  ]
  for (const [name, envs, path] of cases) t.throws(() => parse(envs), { code: 'CONFIG_INVALID', data: { file: FILE, path } }, name)
})

t.test('the schema refuses a promote without from, an unknown key in it, and a bad application name', async (t) => {
  t.throws(() => parse('  dev: {}\n  prod: { promote: { healthyFor: 10m } }\n'), { code: 'CONFIG_INVALID', data: { path: 'environments.prod.promote' } })
  t.throws(() => parse('  dev: {}\n  prod: { promote: { from: dev, healthy: 10m } }\n'), { code: 'CONFIG_INVALID', data: { path: 'environments.prod.promote.healthy' } })
  t.throws(() => parse('  dev: {}\n  prod: { application: Orders_Prod }\n'), { code: 'CONFIG_INVALID', data: { path: 'environments.prod.application' } })
})

async function targets(envs: string) {
  const registry = await loadRegistry(new MemoryTree(serviceFiles('orders-api', `${head}environments:\n${envs}`, { dev: '1.4.1', prod: '1.4.1' }, IMG)))
  const s = registry.services.get('orders-api')!
  return new Map(s.targets.map((x) => [x.environment, x]))
}

t.test('each target names its Argo CD Application: <service>-<environment> unless set', async (t) => {
  const byEnv = await targets('  dev: {}\n  prod: { application: orders-production }\n')
  t.equal(byEnv.get('dev')!.application, 'orders-api-dev')
  t.equal(byEnv.get('prod')!.application, 'orders-production')
})

t.test("a promoted target's promote.application is the from environment's Application", async (t) => {
  let byEnv = await targets('  dev: {}\n  prod: { promote: { from: dev, healthyFor: 10m } }\n')
  t.same(byEnv.get('prod')!.promote, { from: 'dev', healthyFor: '10m', healthyForMs: 600_000, application: 'orders-api-dev' })
  t.equal(byEnv.get('prod')!.application, 'orders-api-prod')
  t.equal(byEnv.get('dev')!.promote, undefined)

  byEnv = await targets('  dev: { application: orders-dev-eu }\n  prod: { application: orders-prod-eu, promote: { from: dev } }\n')
  t.equal(byEnv.get('prod')!.promote!.application, 'orders-dev-eu', "dev's own name, not prod's")
  t.equal(byEnv.get('prod')!.application, 'orders-prod-eu')
})

t.test('a refused promote leaves the service without config or targets, the path kept', async (t) => {
  const registry = await loadRegistry(new MemoryTree(serviceFiles('orders-api', `${head}environments:\n  dev: {}\n  prod: { promote: { from: qa } }\n`, { dev: '1.4.1', prod: '1.4.1' }, IMG)))
  const s = registry.services.get('orders-api')!
  t.equal(s.config, null)
  t.same(s.targets, [])
  t.match(s.error, { code: 'CONFIG_INVALID', data: { path: 'environments.prod.promote.from' } })
})

t.test('zero in any unit is zero', async (t) => {
  for (const zero of ['0s', '0m', '0h', '0m0s']) t.equal(env(parse(`  dev: {}\n  prod: { promote: { from: dev, healthyFor: ${zero} } }\n`), 'prod').promote!.healthyForMs, 0, zero)
})
