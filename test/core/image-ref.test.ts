import fc from 'fast-check'
import t from 'tap'
import { InvalidImageRefError } from '../../src/core/errors.js'
import { formatImageRef, parseImageRef, sameImage } from '../../src/core/image-ref.js'

const D = `sha256:${'a'.repeat(64)}`

t.test('parses and normalises references', async (t) => {
  const cases: [string, { name: string; tag?: string; digest?: string }][] = [
    ['nginx', { name: 'docker.io/library/nginx' }],
    ['nginx:1.25', { name: 'docker.io/library/nginx', tag: '1.25' }],
    ['library/nginx', { name: 'docker.io/library/nginx' }],
    ['docker.io/library/nginx', { name: 'docker.io/library/nginx' }],
    ['index.docker.io/library/nginx', { name: 'docker.io/library/nginx' }],
    ['acme/app', { name: 'docker.io/acme/app' }],
    ['ghcr.io/acme/orders-api:1.4.2', { name: 'ghcr.io/acme/orders-api', tag: '1.4.2' }],
    [`ghcr.io/acme/orders-api:1.4.2@${D}`, { name: 'ghcr.io/acme/orders-api', tag: '1.4.2', digest: D }],
    [`ghcr.io/acme/orders-api@${D}`, { name: 'ghcr.io/acme/orders-api', digest: D }],
    ['localhost:5000/app:v1', { name: 'localhost:5000/app', tag: 'v1' }],
    ['localhost/app', { name: 'localhost/app' }],
    ['registry.example.com:443/a/b/c_d__e-f:main_1', { name: 'registry.example.com:443/a/b/c_d__e-f', tag: 'main_1' }],
  ]
  for (const [input, want] of cases) {
    const r = parseImageRef(input)
    t.equal(r.name, want.name, input)
    t.equal(r.tag, want.tag, `${input} tag`)
    t.equal(r.digest, want.digest, `${input} digest`)
  }
})

t.test('refuses what the grammar does not allow', async (t) => {
  for (const bad of ['', 'acme/UPPER', 'ghcr.io/acme/app:', 'ghcr.io/acme/app:-x', 'app@sha256:short', 'a b', 'ghcr.io//x', 'x/', '-x', `app:${'t'.repeat(129)}`, 'app@md5:abc', 'ghcr.io/acme/app:tag:tag']) {
    t.throws(() => parseImageRef(bad), { code: 'INVALID_IMAGE_REF' }, JSON.stringify(bad))
  }
})

t.test('matching is exact on the repository', async (t) => {
  t.ok(sameImage('nginx', 'docker.io/library/nginx:1'))
  t.ok(sameImage('ghcr.io/acme/app:1', `ghcr.io/acme/app@${D}`))
  t.notOk(sameImage('ghcr.io/acme/app', 'ghcr.io/acme/app-worker'))
  t.notOk(sameImage('ghcr.io/acme/app', 'ghcr.io/acme/app/worker'))
  t.notOk(sameImage('ghcr.io/acme/app', 'docker.io/acme/app'))
  t.notOk(sameImage('not valid!', 'not valid!'))
})

const component = fc.stringMatching(/^[a-z0-9]+(?:[._-][a-z0-9]+)?$/).filter((s) => s.length <= 20)
const tag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/)
const digest = fc.stringMatching(/^[a-f0-9]{64}$/).map((h) => `sha256:${h}`)

t.test('property: valid references round-trip through format', async (t) => {
  fc.assert(
    fc.property(fc.constantFrom('ghcr.io', 'docker.io', 'localhost:5000', 'registry.example.com'), fc.array(component, { minLength: 1, maxLength: 3 }), fc.option(tag), fc.option(digest), (registry, parts, tg, dg) => {
      const input = `${registry}/${parts.join('/')}${tg ? `:${tg}` : ''}${dg ? `@${dg}` : ''}`
      const r = parseImageRef(input)
      const again = parseImageRef(formatImageRef(r))
      return again.name === r.name && again.tag === (tg ?? undefined) && again.digest === (dg ?? undefined)
    }),
  )
  t.pass('round-trips')
})

t.test('property: any string either parses or throws InvalidImageRefError', async (t) => {
  fc.assert(
    fc.property(fc.string({ maxLength: 300 }), (s) => {
      try {
        parseImageRef(s)
        return true
      } catch (e) {
        return e instanceof InvalidImageRefError
      }
    }),
    { numRuns: 2000 },
  )
  t.pass('never crashes')
})
