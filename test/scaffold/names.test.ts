import t from 'tap'
import { checkNames, isDnsLabel, isProdLike } from '../../src/scaffold/names.js'

t.test('DNS-1123 labels', async (t) => {
  for (const ok of ['a', 'orders-api', 'a1', '1a', 'a'.repeat(63)]) t.ok(isDnsLabel(ok), ok)
  for (const bad of ['', 'A', '-a', 'a-', 'a_b', 'a.b', 'a'.repeat(64), 'ä']) t.notOk(isDnsLabel(bad), bad)
})

t.test('<service>-<environment> must fit in 63 characters for every environment', async (t) => {
  t.doesNotThrow(() => checkNames('a'.repeat(59), ['dev']))
  t.throws(() => checkNames('a'.repeat(59), ['dev', 'prod']), { code: 'SERVICE_NAME_INVALID' })
  t.throws(() => checkNames('ok', ['q_a']), { code: 'ENVIRONMENT_INVALID' })
})

t.test('prod-like environment names', async (t) => {
  for (const n of ['prod', 'production', 'prd', 'live', 'prod-eu', 'eu-production']) t.ok(isProdLike(n), n)
  for (const n of ['dev', 'staging', 'qa', 'preprod', 'products', 'liveness']) t.notOk(isProdLike(n), n)
})
