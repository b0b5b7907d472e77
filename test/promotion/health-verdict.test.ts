import t from 'tap'
import { healthVerdict, type ApplicationStatus } from '../../src/promotion/health-verdict.js'

const DEPLOY = 'a'.repeat(40)
const LATER = 'b'.repeat(40)
const OTHER = 'c'.repeat(40)
const opts = (now: string, over = {}) => ({ carries: (r: string) => r === DEPLOY || r === LATER, healthyForMs: 10 * 60_000, now: new Date(now), ...over })
const healthy = (since: string, revision = DEPLOY): ApplicationStatus => ({
  sync: { status: 'Synced', revision },
  health: { status: 'Healthy', lastTransitionTime: since },
  operationState: { phase: 'Succeeded', finishedAt: since, syncResult: { revision } },
})

t.test('Progressing, then Healthy, then promoted once healthyFor has passed', async (t) => {
  t.match(healthVerdict({ sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Progressing', message: 'rollout' } }, opts('2026-11-30T10:00:00Z')), { verdict: 'wait', reason: 'Progressing: rollout' })
  t.match(healthVerdict(healthy('2026-11-30T10:01:00Z'), opts('2026-11-30T10:05:00Z')), { verdict: 'wait', healthySince: '2026-11-30T10:01:00Z', promoteAt: '2026-11-30T10:11:00.000Z' })
  t.same(healthVerdict(healthy('2026-11-30T10:01:00Z'), opts('2026-11-30T10:11:00Z')), { verdict: 'promote', healthySince: '2026-11-30T10:01:00Z' })
  t.match(healthVerdict(healthy('2026-11-30T10:01:00Z', LATER), opts('2026-11-30T10:11:00Z')), { verdict: 'promote' }, 'a later commit that carries the deploy counts')
})

t.test('healthy before the sync and through it: counted from the sync of the deploy', async (t) => {
  const s: ApplicationStatus = { ...healthy('2026-11-29T00:00:00Z'), operationState: { phase: 'Succeeded', finishedAt: '2026-11-30T10:03:00Z', syncResult: { revision: DEPLOY } } }
  t.match(healthVerdict(s, opts('2026-11-30T10:05:00Z')), { verdict: 'wait', healthySince: '2026-11-30T10:03:00Z' })
})

t.test('a sync at another revision, or one running, waits', async (t) => {
  t.match(healthVerdict(healthy('2026-11-30T09:00:00Z', OTHER), opts('2026-11-30T10:30:00Z')), { verdict: 'wait', reason: /^synced at c+/ })
  t.match(healthVerdict({ ...healthy('2026-11-30T09:00:00Z'), operationState: { phase: 'Running' } }, opts('2026-11-30T10:30:00Z')), { verdict: 'wait', reason: 'a sync is running' })
  t.match(healthVerdict({ health: { status: 'Healthy' } }, opts('2026-11-30T10:30:00Z')), { verdict: 'wait', reason: 'not synced yet' })
  t.match(healthVerdict({ ...healthy('2026-11-30T09:00:00Z'), sync: { status: 'OutOfSync', revision: DEPLOY } }, opts('2026-11-30T10:30:00Z')), { verdict: 'wait', reason: 'OutOfSync' })
})

t.test('Degraded, or a failed sync of the deploy, stops the promotion', async (t) => {
  t.match(healthVerdict({ sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Degraded', message: 'CrashLoopBackOff' } }, opts('2026-11-30T10:30:00Z')), { verdict: 'stop', reason: 'Degraded: CrashLoopBackOff' })
  t.match(healthVerdict({ sync: { status: 'OutOfSync', revision: OTHER }, operationState: { phase: 'Failed', message: 'one or more objects failed to apply', syncResult: { revision: DEPLOY } } }, opts('2026-11-30T10:30:00Z')), { verdict: 'stop', reason: /^the sync failed/ })
  t.match(healthVerdict({ sync: { status: 'Synced', revision: DEPLOY }, operationState: { phase: 'Failed', syncResult: { revision: OTHER } }, health: { status: 'Progressing' } }, opts('2026-11-30T10:30:00Z')), { verdict: 'wait' }, "another revision's failed sync is not this deploy's")
})

t.test('without lastTransitionTime (older Argo CD): from when infra-sync first saw it Healthy', async (t) => {
  const s: ApplicationStatus = { sync: { status: 'Synced', revision: DEPLOY }, health: { status: 'Healthy' } }
  t.match(healthVerdict(s, opts('2026-11-30T10:05:00Z')), { verdict: 'wait', healthySince: '2026-11-30T10:05:00.000Z' })
  t.match(healthVerdict(s, opts('2026-11-30T10:15:00Z', { seenHealthySince: '2026-11-30T10:05:00.000Z' })), { verdict: 'promote' })
})
