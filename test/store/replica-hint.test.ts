import fc from 'fast-check'
import t from 'tap'
import { decodeHint, encodeHint, type ReplicaHint } from '../../src/store/replica-hint.js'

/** A NOTIFY payload is read by every replica: whatever is in it, decodeHint answers a hint or null, never throws. */
const hint: fc.Arbitrary<ReplicaHint> = fc.oneof(
  fc.constant({ type: 'refresh' as const }),
  fc.record({ type: fc.constant('pull-request' as const), number: fc.integer({ min: 1, max: Number.MAX_SAFE_INTEGER }) }),
  fc.record({ type: fc.constant('argocd' as const), application: fc.string({ minLength: 1, maxLength: 253 }) }),
)

t.test('every hint survives encode and decode', async (t) => {
  fc.assert(fc.property(hint, (h) => JSON.stringify(decodeHint(encodeHint(h))) === JSON.stringify(h)))
  t.pass()
})

t.test('any payload decodes to a well-formed hint or null', async (t) => {
  const payload = fc.oneof(fc.string(), fc.json(), hint.map((h) => JSON.stringify({ ...h, extra: 1 })))
  fc.assert(
    fc.property(payload, (p) => {
      const h = decodeHint(p)
      return h === null || (h.type === 'refresh' ? true : h.type === 'pull-request' ? Number.isSafeInteger(h.number) && h.number > 0 : h.application.length > 0 && h.application.length <= 253)
    }),
  )
  for (const p of ['', 'null', '[]', '{"type":"pull-request","number":0}', '{"type":"pull-request","number":1.5}', '{"type":"argocd","application":""}', `{"type":"argocd","application":"${'a'.repeat(254)}"}`, '{"type":"wake"}']) t.equal(decodeHint(p), null, p)
  t.same(decodeHint('{"type":"pull-request","number":7,"more":true}'), { type: 'pull-request', number: 7 }, 'unknown fields are dropped')
})
