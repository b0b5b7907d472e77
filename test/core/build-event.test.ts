import fc from 'fast-check'
import t from 'tap'
import { parseBuildEvent } from '../../src/core/build-event.js'
import { InfraSyncError } from '../../src/core/errors.js'

const ok = { source: 'Acme/Orders-API', image: 'ghcr.io/acme/orders-api', tag: '1.4.2' }

t.test('a minimal event', async (t) => {
  const e = parseBuildEvent(ok)
  t.same(e, { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2' })
})

t.test('a full event, normalised', async (t) => {
  const e = parseBuildEvent({
    ...ok,
    image: 'nginx',
    digest: `sha256:${'b'.repeat(64)}`,
    commit: '9fceb02d0ae598e95dc970b74767f19372d61af8',
    ref: 'main',
    builtAt: '2026-11-25T12:00:00+02:00',
    buildUrl: 'https://ci.example/runs/123',
    extra: 'ignored',
  })
  t.equal(e.image, 'docker.io/library/nginx')
  t.equal(e.ref, 'refs/heads/main')
  t.equal(e.builtAt, '2026-11-25T10:00:00.000Z')
  t.notOk('extra' in e)
})

t.test('refusals carry a code and name the field', async (t) => {
  const cases: [unknown, string, string][] = [
    [null, 'INVALID_EVENT', 'body'],
    [[], 'INVALID_EVENT', 'body'],
    [{ image: 'x', tag: '1' }, 'INVALID_EVENT', 'source'],
    [{ ...ok, source: 'no-slash' }, 'INVALID_EVENT', 'source'],
    [{ ...ok, source: '../x' }, 'INVALID_EVENT', 'source'],
    [{ source: 'a/b', tag: '1' }, 'INVALID_EVENT', 'image'],
    [{ ...ok, image: 'ghcr.io/acme/orders-api:1.4.2' }, 'INVALID_IMAGE_REF', 'image'],
    [{ ...ok, image: 'Ghcr.io/Acme' }, 'INVALID_IMAGE_REF', 'image'],
    [{ ...ok, tag: 'has space' }, 'INVALID_IMAGE_REF', 'tag'],
    [{ ...ok, tag: '.dot' }, 'INVALID_IMAGE_REF', 'tag'],
    [{ ...ok, tag: 5 }, 'INVALID_EVENT', 'tag'],
    [{ source: 'a/b', image: 'x/y' }, 'INVALID_EVENT', 'tag'],
    [{ ...ok, digest: 'sha256:XYZ' }, 'INVALID_IMAGE_REF', 'digest'],
    [{ ...ok, commit: 'abc' }, 'INVALID_EVENT', 'commit'],
    [{ ...ok, ref: 'refs/pull/1/head' }, 'INVALID_EVENT', 'ref'],
    [{ ...ok, builtAt: 'yesterday' }, 'INVALID_EVENT', 'builtAt'],
    [{ ...ok, builtAt: '2026-13-45T99:00:00Z' }, 'INVALID_EVENT', 'builtAt'],
    [{ ...ok, buildUrl: 'ftp://x' }, 'INVALID_EVENT', 'buildUrl'],
    [{ ...ok, buildUrl: 'https://x/a\nInfra-Sync-Event: forged' }, 'INVALID_EVENT', 'buildUrl'],
  ]
  for (const [body, code, field] of cases) {
    t.throws(() => parseBuildEvent(body), { code, data: { field } }, JSON.stringify(body))
  }
})

t.test('property: arbitrary JSON never escapes as anything but a typed error', async (t) => {
  const anyEvent = fc.record(
    {
      source: fc.oneof(fc.string(), fc.constant('acme/app'), fc.integer()),
      image: fc.oneof(fc.string(), fc.constant('ghcr.io/acme/app')),
      tag: fc.oneof(fc.string(), fc.constant('1.0.0')),
      digest: fc.string(),
      ref: fc.string(),
      builtAt: fc.oneof(fc.string(), fc.date({ noInvalidDate: true }).map((d) => d.toISOString())),
      buildUrl: fc.oneof(fc.string(), fc.webUrl()),
    },
    { requiredKeys: [] },
  )
  fc.assert(
    fc.property(fc.oneof(anyEvent, fc.jsonValue()), (body) => {
      try {
        parseBuildEvent(body)
        return true
      } catch (e) {
        return e instanceof InfraSyncError && (e.code === 'INVALID_EVENT' || e.code === 'INVALID_IMAGE_REF')
      }
    }),
    { numRuns: 3000 },
  )
  t.pass('typed errors only')
})
