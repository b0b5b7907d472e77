import t from 'tap'
import { GitRemoteError, PushRefusedError, PushRejectedError } from '../../src/core/errors.js'
import { silentLogger } from '../../src/core/logger.js'
import type { WorkerMetrics } from '../../src/observability/metrics.js'
import { afterFailedPush, type AfterPushDeps } from '../../src/worker/after-failed-push.js'

function deps(remoteHead: string | null) {
  const seen = { synced: false, forgot: false }
  const metrics = { push() {} } as unknown as WorkerMetrics
  const d: AfterPushDeps = {
    metrics,
    log: silentLogger,
    sleep: async () => undefined,
    random: () => 0,
    pushRetries: 3,
    sync: async () => {
      seen.synced = true
      return remoteHead
    },
    forgetHead: () => {
      seen.forgot = true
    },
  }
  return { d, seen }
}

t.test('a refusal is thrown as it is: no re-sync, no retry', async (t) => {
  const { d, seen } = deps('a'.repeat(40))
  const refused = new PushRefusedError('refused', { ref: 'refs/heads/main', reason: 'protected branch hook declined' })
  const e = await afterFailedPush(refused, 1, 'a'.repeat(40), d).catch((err) => err)
  t.equal(e, refused)
  t.equal(seen.synced, false)
})

t.test('a lost race re-plans on the new head; a "race" on an unmoved head is the remote failing', async (t) => {
  const moved = deps('b'.repeat(40))
  t.equal(await afterFailedPush(new PushRejectedError('moved', { ref: 'refs/heads/main' }), 1, 'a'.repeat(40), moved.d), 'b'.repeat(40))
  const same = deps('a'.repeat(40))
  const e = await afterFailedPush(new PushRejectedError('moved', { ref: 'refs/heads/main' }), 1, 'a'.repeat(40), same.d).catch((err) => err)
  t.match(e, { code: 'GIT_REMOTE', retryable: true })
  const outage = deps(null)
  const down = new GitRemoteError('down', { status: 500 })
  t.equal(await afterFailedPush(down, 1, null, outage.d).catch((err) => err), down)
  t.equal(outage.seen.forgot, true)
})
