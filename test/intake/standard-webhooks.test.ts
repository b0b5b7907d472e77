import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { buildKeys } from '../../src/intake/secrets.js'
import { intakeGenericEvent } from '../../src/intake/generic-event.js'
import { readSignedHeaders, verify } from '../../src/intake/standard-webhooks.js'
import { FALLBACK, SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'

const now = new Date()
const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2' })
const keys = buildKeys(new Map([['acme/orders-api', [SECRET_A]], ['acme/payments', [SECRET_B]]]), [FALLBACK])

t.test("the Standard Webhooks spec's own example verifies", async (t) => {
  // From the specification's signature example.
  const signed = readSignedHeaders(
    { 'webhook-id': 'msg_p5jXN8AQM9LWM0D4loKWxJek', 'webhook-timestamp': '1614265330', 'webhook-signature': 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=' },
    new Date(1614265330 * 1000),
  )
  const key = buildKeys(new Map(), ['whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw']).fallback
  t.ok(verify(signed, Buffer.from('{"test": 2432232314}'), key))
  t.notOk(verify(signed, Buffer.from('{"test": 2432232315}'), key))
})

t.test('what the standardwebhooks library signs, we accept', async (t) => {
  const secret = `whsec_${Buffer.from('a-very-long-webhook-secret-0123456789').toString('base64')}`
  const wh = new Webhook(secret)
  const id = 'msg_lib'
  const ts = new Date()
  const sig = wh.sign(id, ts, body)
  const k = buildKeys(new Map([['acme/orders-api', [secret]]]), [])
  const r = intakeGenericEvent(Buffer.from(body), { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': sig }, k, ts)
  t.equal(r.event.source, 'acme/orders-api')
  t.equal(r.deliveryId, id)
})

t.test('the source is the one whose secret signed', async (t) => {
  t.equal(intakeGenericEvent(Buffer.from(body), signedHeaders(SECRET_A, body), keys, now).event.source, 'acme/orders-api')
  const web = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web', tag: '1' })
  t.equal(intakeGenericEvent(Buffer.from(web), signedHeaders(FALLBACK, web), keys, now).event.source, 'acme/web', 'fallback for a source with no secret of its own')
  t.throws(() => intakeGenericEvent(Buffer.from(body), signedHeaders(SECRET_B, body), keys, now), { code: 'SOURCE_FORBIDDEN' }, "another source's secret")
  t.throws(() => intakeGenericEvent(Buffer.from(body), signedHeaders(FALLBACK, body), keys, now), { code: 'SOURCE_FORBIDDEN' }, 'the fallback cannot speak for a source with its own secret')
})

t.test('rotation: any of several signatures, any of several secrets', async (t) => {
  const rotating = buildKeys(new Map([['acme/orders-api', ['old-secret-0123456789abcdef0123', SECRET_A]]]), [])
  const h = signedHeaders(SECRET_A, body, { id: 'x1' })
  const other = signedHeaders('unknown-secret-0123456789abcdef00', body, { id: 'x1', timestamp: Number(h['webhook-timestamp']) })
  h['webhook-signature'] = `${other['webhook-signature']} v2,bogus ${h['webhook-signature']}`
  t.equal(intakeGenericEvent(Buffer.from(body), h, rotating, now).event.source, 'acme/orders-api')
})

t.test('refusals, by code', async (t) => {
  const h = signedHeaders(SECRET_A, body)
  const cases: [string, Record<string, string>, string, string][] = [
    ['no headers', {}, body, 'SIGNATURE_MISSING'],
    ['no signature', { ...h, 'webhook-signature': '' }, body, 'SIGNATURE_MISSING'],
    ['flipped byte in body', h, body.replace('1.4.2', '1.4.3'), 'SIGNATURE_INVALID'],
    ['re-serialised body', h, JSON.stringify(JSON.parse(body), null, 2), 'SIGNATURE_INVALID'],
    ['sha1= style header', { ...h, 'webhook-signature': h['webhook-signature']!.replace('v1,', 'sha1=') }, body, 'SIGNATURE_INVALID'],
    ['wrong secret', signedHeaders('not-the-secret-0123456789abcdef', body), body, 'SIGNATURE_INVALID'],
    ['stale timestamp', signedHeaders(SECRET_A, body, { timestamp: Math.floor(Date.now() / 1000) - 301 }), body, 'TIMESTAMP_OUT_OF_RANGE'],
    ['future timestamp', signedHeaders(SECRET_A, body, { timestamp: Math.floor(Date.now() / 1000) + 301 }), body, 'TIMESTAMP_OUT_OF_RANGE'],
    ['timestamp not a number', { ...h, 'webhook-timestamp': '12abc' }, body, 'TIMESTAMP_OUT_OF_RANGE'],
    ['id with spaces', { ...h, 'webhook-id': 'a b' }, body, 'SIGNATURE_INVALID'],
  ]
  for (const [name, headers, b, code] of cases) t.throws(() => intakeGenericEvent(Buffer.from(b), headers, keys, now), { code }, name)
})

t.test('a signed body that is not a valid event is a 400-class error, after the signature', async (t) => {
  const cases: [string, string][] = [
    ['not json', 'INVALID_JSON'],
    [JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api' }), 'INVALID_EVENT'],
    [JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: 'bad tag' }), 'INVALID_IMAGE_REF'],
  ]
  for (const [b, code] of cases) {
    const signer = b.startsWith('{') ? SECRET_A : FALLBACK
    t.throws(() => intakeGenericEvent(Buffer.from(b), signedHeaders(signer, b), keys, now), { code }, b)
  }
})
