import t from 'tap'
import { healthVerdict, type ApplicationStatus } from '../../src/promotion/health-verdict.js'
import { startFakeArgoCd } from '../helpers/fake-argocd.js'

/**
 * The fake Argo CD answers only in shapes Argo CD's description allows, and
 * the promotion rule reads those answers: Progressing → Healthy (promote
 * after healthyFor), Degraded (stop), a sync at another revision (wait).
 */
const DEPLOY = 'a'.repeat(40)

async function fetchStatus(url: string, token: string, name: string): Promise<{ code: number; status?: ApplicationStatus }> {
  const res = await fetch(`${url}/api/v1/applications/${name}`, { headers: { authorization: `Bearer ${token}` } })
  return { code: res.status, ...(res.ok && { status: ((await res.json()) as { status: ApplicationStatus }).status }) }
}

t.test('the fake Argo CD, checked against its description, driven through a rollout', async (t) => {
  const argo = await startFakeArgoCd()
  t.teardown(() => argo.close())
  const opts = (now: string) => ({ carries: (r: string) => r === DEPLOY, healthyForMs: 60_000, now: new Date(now) })

  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Progressing', message: 'Waiting for rollout', lastTransitionTime: '2026-11-30T10:00:00Z' }, operationState: { phase: 'Succeeded', finishedAt: '2026-11-30T10:00:00Z', startedAt: '2026-11-30T09:59:58Z', syncResult: { revision: DEPLOY } } })
  let r = await fetchStatus(argo.url, argo.token, 'orders-api-dev')
  t.equal(r.code, 200)
  t.match(healthVerdict(r.status!, opts('2026-11-30T10:00:30Z')), { verdict: 'wait', reason: 'Progressing: Waiting for rollout' })

  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Healthy', lastTransitionTime: '2026-11-30T10:01:00Z' }, operationState: { phase: 'Succeeded', finishedAt: '2026-11-30T10:00:00Z', startedAt: '2026-11-30T09:59:58Z', syncResult: { revision: DEPLOY } } })
  r = await fetchStatus(argo.url, argo.token, 'orders-api-dev')
  t.match(healthVerdict(r.status!, opts('2026-11-30T10:01:30Z')), { verdict: 'wait', healthySince: '2026-11-30T10:01:00Z' })
  t.match(healthVerdict(r.status!, opts('2026-11-30T10:02:00Z')), { verdict: 'promote' })

  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Degraded', message: 'CrashLoopBackOff', lastTransitionTime: '2026-11-30T10:03:00Z' } })
  r = await fetchStatus(argo.url, argo.token, 'orders-api-dev')
  t.match(healthVerdict(r.status!, opts('2026-11-30T10:04:00Z')), { verdict: 'stop', reason: 'Degraded: CrashLoopBackOff' })

  argo.setStatus('orders-api-dev', { sync: { status: 'Synced', revision: 'b'.repeat(40) }, health: { status: 'Healthy' } })
  r = await fetchStatus(argo.url, argo.token, 'orders-api-dev')
  t.match(healthVerdict(r.status!, opts('2026-11-30T10:04:00Z')), { verdict: 'wait', reason: /^synced at b+/ })

  t.same(argo.violations, [], 'every answer conformed')
  t.equal((await fetchStatus(argo.url, 'wrong-token', 'orders-api-dev')).code, 401)
  t.equal((await fetchStatus(argo.url, argo.token, 'unknown-app')).code, 404)
})

t.test('a status Argo CD never sends is refused by the fake, not passed on', async (t) => {
  const argo = await startFakeArgoCd()
  t.teardown(() => argo.close())
  argo.setStatus('web-dev', { health: { status: 42 } })
  const r = await fetchStatus(argo.url, argo.token, 'web-dev')
  t.equal(r.code, 500)
  t.equal(argo.violations.length, 1)
  argo.setStatus('web-dev', { health: { status: 'Healthy', lastTransitionTime: 'yesterday' } })
  t.equal((await fetchStatus(argo.url, argo.token, 'web-dev')).code, 500, 'a time that is not RFC 3339')
})
