import t from 'tap'
import { fromDeployment, type FromRow } from '../../src/promotion/from-deployment.js'

/** Which from-environment deployment a promotion rests on: the rule alone, over rows newest first. */
const IMAGE = 'ghcr.io/acme/orders-api'
const SIDECAR = 'ghcr.io/acme/orders-migrate'
const row = (to: string, commit: string, image = IMAGE): FromRow => ({ image, to, commit })

t.test('the newest row of the image at the value is the deployment found', async (t) => {
  const rows = [row('1.4.2', 'c'.repeat(40)), row('1.4.1', 'b'.repeat(40))]
  t.same(fromDeployment(rows, IMAGE, '1.4.2', 'dev'), { found: rows[0] })
  t.same(fromDeployment([{ ...rows[0]!, healthyAt: '2026-11-30T10:00:00.000Z' }], IMAGE, '1.4.2', 'dev'), { found: { ...rows[0]!, healthyAt: '2026-11-30T10:00:00.000Z' } }, 'its health comes with it')
})

t.test('an older row at the value: the environment moved on, superseded', async (t) => {
  const rows = [row('1.4.3', 'd'.repeat(40)), row('1.4.2', 'c'.repeat(40))]
  t.match(fromDeployment(rows, IMAGE, '1.4.2', 'dev'), { state: 'superseded', reason: /1\.4\.3/ })
  t.notOk('found' in fromDeployment(rows, IMAGE, '1.4.2', 'dev'))
})

t.test('no row at the value: waiting (the build has not reached the environment)', async (t) => {
  t.match(fromDeployment([], IMAGE, '1.4.2', 'dev'), { state: 'waiting' })
  t.match(fromDeployment([row('1.4.1', 'b'.repeat(40))], IMAGE, '1.4.2', 'dev'), { state: 'waiting' })
  t.match(fromDeployment([row('1.4.2', 'c'.repeat(40))], IMAGE, '1.4.2@sha256:' + 'e'.repeat(64), 'dev'), { state: 'waiting' }, 'the value is matched whole')
})

t.test('rows of other images are not the from-deployment and do not supersede it', async (t) => {
  const mine = row('1.4.2', 'c'.repeat(40))
  t.same(fromDeployment([row('9.9.9', 'f'.repeat(40), SIDECAR), mine], IMAGE, '1.4.2', 'dev'), { found: mine }, 'a newer row of another image')
  t.match(fromDeployment([row('1.4.2', 'f'.repeat(40), SIDECAR)], IMAGE, '1.4.2', 'dev'), { state: 'waiting' }, 'another image at the same value')
  t.match(fromDeployment([row('1.4.3', 'f'.repeat(40), SIDECAR), row('1.4.2', 'e'.repeat(40), SIDECAR), mine], SIDECAR, '1.4.2', 'dev'), { state: 'superseded' })
})
