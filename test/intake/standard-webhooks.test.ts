import t from 'tap'
import { Webhook } from 'standardwebhooks'
import { buildKeys, type SourceKeys } from '../../src/intake/secrets.js'
import { claimGenericEvent, verifyGenericEvent } from '../../src/intake/generic-event.js'
import { namedSource } from '../../src/intake/source-name.js'
import { readSignedHeaders, sign, verify, type Hmac } from '../../src/intake/standard-webhooks.js'
import { FALLBACK, SECRET_A, SECRET_B, signedHeaders } from '../helpers/sign.js'

const now = new Date()
const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2' })
const keys = buildKeys(new Map([['acme/orders-api', [SECRET_A]], ['acme/payments', [SECRET_B]]]), [FALLBACK])

/** Both steps, as the route runs them: the claim from the headers, then the body. */
function intake(raw: string | Buffer, headers: Record<string, string>, k: SourceKeys = keys, at: Date = now, hmac?: Hmac) {
  const claim = claimGenericEvent(headers, namedSource(headers, {}), k, at)
  return verifyGenericEvent(Buffer.from(raw), claim, k, hmac)
}

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
  const r = intake(body, { 'webhook-id': id, 'webhook-timestamp': String(Math.floor(ts.getTime() / 1000)), 'webhook-signature': sig, 'infra-sync-source': 'acme/orders-api' }, k, ts)
  t.equal(r.event.source, 'acme/orders-api')
  t.equal(r.deliveryId, id)
})

t.test('the named source is verified with its own secrets only, and the body must name it', async (t) => {
  t.equal(intake(body, signedHeaders(SECRET_A, body)).event.source, 'acme/orders-api')
  t.equal(intake(body, signedHeaders(SECRET_A, body, { source: 'Acme/Orders-API' })).event.source, 'acme/orders-api', 'names compare case-insensitively')
  const web = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web', tag: '1' })
  t.equal(intake(web, signedHeaders(FALLBACK, web)).event.source, 'acme/web', 'a named source with no secret of its own: the fallback')
  t.equal(intake(web, signedHeaders(FALLBACK, web, { source: null })).event.source, 'acme/web', 'no source named: the fallback, as old senders do')
  const cases: [string, string, Record<string, string>, string][] = [
    ["another source's secret, naming the body's source", body, signedHeaders(SECRET_B, body), 'SIGNATURE_INVALID'],
    ["another source's secret, naming that source", body, signedHeaders(SECRET_B, body, { source: 'acme/payments' }), 'SOURCE_FORBIDDEN'],
    ['the fallback, naming a source with its own secret', body, signedHeaders(FALLBACK, body), 'SIGNATURE_INVALID'],
    ['the fallback, naming nothing, for a source with its own secret', body, signedHeaders(FALLBACK, body, { source: null }), 'SOURCE_FORBIDDEN'],
    ['the fallback, naming a source without a secret, for another one', web, signedHeaders(FALLBACK, web, { source: 'acme/other' }), 'SOURCE_FORBIDDEN'],
    ["a source's own secret, naming nothing", body, signedHeaders(SECRET_A, body, { source: null }), 'SIGNATURE_INVALID'],
    ['a source name that is not owner/repo', body, signedHeaders(SECRET_A, body, { source: 'orders-api' }), 'INVALID_INPUT'],
  ]
  for (const [name, b, h, code] of cases) t.throws(() => intake(b, h), { code }, name)
  const q = signedHeaders(SECRET_A, body, { source: null })
  const claim = claimGenericEvent(q, namedSource(q, { source: 'acme/orders-api' }), keys, now)
  t.equal(verifyGenericEvent(Buffer.from(body), claim, keys).event.source, 'acme/orders-api', '?source= names it too')
  t.throws(() => namedSource({ 'infra-sync-source': 'acme/orders-api' }, { source: 'acme/payments' }), { code: 'INVALID_INPUT' }, 'header and query disagree')
})

t.test('no usable secret is refused from the headers alone', async (t) => {
  const none = buildKeys(new Map([['acme/orders-api', [SECRET_A]]]), [])
  const web = JSON.stringify({ source: 'acme/web', image: 'ghcr.io/acme/web', tag: '1' })
  t.throws(() => claimGenericEvent(signedHeaders(SECRET_A, body, { source: null }), undefined, none, now), { code: 'SOURCE_REQUIRED' })
  t.throws(() => claimGenericEvent(signedHeaders(FALLBACK, web), 'acme/web', none, now), { code: 'SOURCE_UNKNOWN' })
})

t.test('a wrong signature costs the named source’s own HMACs, not one per configured source', async (t) => {
  const many = new Map<string, string[]>()
  for (let i = 0; i < 100; i++) many.set(`acme/svc-${i}`, [`secret-of-svc-${i}-0123456789abcdef`])
  many.set('acme/orders-api', ['old-orders-secret-0123456789abcdef', SECRET_A])
  const k = buildKeys(many, [FALLBACK])
  let calls = 0
  const counting: Hmac = (...args) => {
    calls++
    return sign(...args)
  }
  const attempts: [string, Record<string, string>][] = [
    ['a stranger, naming a source', signedHeaders('not-a-secret-of-anyone-0123456789', body)],
    ['a stranger, naming nothing', signedHeaders('not-a-secret-of-anyone-0123456789', body, { source: null })],
    ["another source's secret", signedHeaders('secret-of-svc-7-0123456789abcdef', body)],
  ]
  for (const [name, h] of attempts) {
    calls = 0
    t.throws(() => intake(body, h, k, now, counting), { code: 'SIGNATURE_INVALID' }, name)
    t.ok(calls <= 2, `${name}: ${calls} HMACs with 101 sources configured`)
  }
  calls = 0
  t.equal(intake(body, signedHeaders(SECRET_A, body), k, now, counting).event.source, 'acme/orders-api')
  t.ok(calls <= 2, 'the right one: at most the two secrets of a rotation')
  calls = 0
  t.throws(() => intake(body, { ...signedHeaders(SECRET_A, body), 'webhook-signature': 'v1,AAAA' }, k, now, counting), { code: 'SIGNATURE_INVALID' }, 'a signature of the wrong length')
  t.equal(calls, 0, 'refused without any HMAC')
})

t.test('rotation: any of several signatures, any of several secrets', async (t) => {
  const rotating = buildKeys(new Map([['acme/orders-api', ['old-secret-0123456789abcdef0123', SECRET_A]]]), [])
  const h = signedHeaders(SECRET_A, body, { id: 'x1' })
  const other = signedHeaders('unknown-secret-0123456789abcdef00', body, { id: 'x1', timestamp: Number(h['webhook-timestamp']) })
  h['webhook-signature'] = `${other['webhook-signature']} v2,bogus ${h['webhook-signature']}`
  t.equal(intake(body, h, rotating).event.source, 'acme/orders-api')
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
  for (const [name, headers, b, code] of cases) t.throws(() => intake(b, headers), { code }, name)
})

t.test('a signed body that is not a valid event is a 400-class error, after the signature', async (t) => {
  const cases: [string, string][] = [
    ['not json', 'INVALID_JSON'],
    [JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api' }), 'INVALID_EVENT'],
    [JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: 'bad tag' }), 'INVALID_IMAGE_REF'],
  ]
  for (const [b, code] of cases) {
    const signer = b.startsWith('{') ? SECRET_A : FALLBACK
    t.throws(() => intake(b, signedHeaders(signer, b)), { code }, b)
  }
})
