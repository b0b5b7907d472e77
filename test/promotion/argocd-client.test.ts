import t from 'tap'
import { ArgoCdClient } from '../../src/promotion/argocd-client.js'
import { startFakeArgoCd } from '../helpers/fake-argocd.js'

t.test('the Argo CD client against the fake: status read, refusals typed, the token never in an error', async (t) => {
  const argo = await startFakeArgoCd()
  t.teardown(() => argo.close())
  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: 'a'.repeat(40) }, health: { status: 'Healthy' } })
  const client = new ArgoCdClient({ url: `${argo.url}/`, token: argo.token })
  t.match(await client.applicationStatus('orders-api-dev'), { sync: { status: 'Synced' }, health: { status: 'Healthy' } })
  await t.rejects(client.applicationStatus('no-such-app'), { code: 'ARGOCD_NOT_FOUND', retryable: false })
  await t.rejects(client.applicationStatus('../etc'), { code: 'ARGOCD_NOT_FOUND' })
  const wrong = new ArgoCdClient({ url: argo.url, token: 'a-wrong-token-0123456789' })
  const e = await wrong.applicationStatus('orders-api-dev').catch((x: Error) => x)
  t.match(e, { code: 'ARGOCD_AUTH', retryable: false })
  t.notMatch((e as Error).message, 'a-wrong-token')
  await t.rejects(new ArgoCdClient({ url: 'http://127.0.0.1:1', token: 'x' }).applicationStatus('a'), { code: 'ARGOCD_UNAVAILABLE', retryable: true })
  t.same(argo.violations, [])
})
