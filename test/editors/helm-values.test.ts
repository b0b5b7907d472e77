import t from 'tap'
import { helmValues } from '../../src/editors/helm-values.js'
import { openImage } from '../../src/editors/registry.js'
import { decodeFile } from '../../src/editors/file-codec.js'

/**
 * Helm values with a `key`, opened the way the worker and `set-image` open a
 * file: bytes decoded, the editor picked by the path, the key from the target.
 */
const I = 'ghcr.io/acme/orders-api'
const D = `sha256:${'4'.repeat(64)}`
const open = (text: string, key?: string, file = 'values.yaml') => openImage(file, decodeFile(Buffer.from(text)), I, key === undefined ? {} : { key })
const set = (text: string, key: string | undefined, change: { tag?: string; digest?: string }) => open(text, key).set(change).text

t.test('a key holding a bare tag sets the tag; the chart builds the reference', async (t) => {
  const text = `global:\n  imageRegistry: ghcr.io\n  imageTag: 7.1.0\n`
  const opened = open(text, 'global.imageTag')
  t.same(opened.current, { tag: '7.1.0' })
  t.equal(opened.set({ tag: '7.2.0' }).text, text.replace('7.1.0', '7.2.0'))
  t.equal(set(text, 'global.imageTag', { tag: '7.2.0', digest: D }), text.replace('7.1.0', `7.2.0@${D}`), 'a digest goes with the tag, as in a tag field')
  t.equal(set(`app:\n  image: v1.0.0\n`, 'app.image', { tag: 'v1.1.0' }), `app:\n  image: v1.1.0\n`, 'a version under any key name is a tag')
  t.equal(set(`app:\n  imageTag: latest\n`, 'app.imageTag', { tag: 'stable' }), `app:\n  imageTag: stable\n`, 'a word under a key named for a tag is a tag')
  t.equal(set(`app:\n  imageTag: ""\n`, 'app.imageTag', { tag: '1.0.0' }), `app:\n  imageTag: "1.0.0"\n`, 'an empty tag key takes a tag')
  t.equal(set(`tags: [1.0.0, 2.0.0]\n`, 'tags[1]', { tag: '2.1.0' }), `tags: [1.0.0, 2.1.0]\n`, 'a list item holding a tag')
  t.equal(set(`app:\n  image: ${I}:1.0.0\n`, 'app.image', { tag: '1.1.0' }), `app:\n  image: ${I}:1.1.0\n`, 'a full reference keeps working')
})

t.test('a key naming another image is refused with both images, the file and the key', async (t) => {
  const cases: [string, string, string][] = [
    [`app:\n  image: ghcr.io/other/thing:1.0\n`, 'app.image', 'ghcr.io/other/thing'],
    [`app:\n  image: redis\n`, 'app.image', 'docker.io/library/redis'],
    [`app:\n  image: latest\n`, 'app.image', 'docker.io/library/latest'],
    [`app:\n  image:\n    repository: ghcr.io/other/thing\n    tag: 1.0\n`, 'app.image.tag', 'ghcr.io/other/thing'],
    [`app:\n  image:\n    repository: ghcr.io/other/thing\n`, 'app.image.tag', 'ghcr.io/other/thing'],
    [`app:\n  image:\n    registry: ghcr.io\n    repository: other/thing\n    version: 1.0\n`, 'app.image', 'ghcr.io/other/thing'],
  ]
  for (const [text, key, found] of cases) {
    t.throws(() => open(text, key), { code: 'IMAGE_MISMATCH', data: { path: 'values.yaml', key, image: I, found } }, `${key} in ${JSON.stringify(text)}`)
  }
  t.throws(() => open(`app:\n  image: "not a reference"\n`, 'app.image'), { code: 'IMAGE_NOT_FOUND', data: { reason: 'not-an-image' } })
  t.throws(() => open(`app:\n  image: ""\n`, 'app.image'), { code: 'IMAGE_NOT_FOUND', data: { reason: 'empty' } })
})

t.test('version beside repository is the tag, unless there is a tag', async (t) => {
  const bitnami = `image:\n  repository: ${I}\n  version: 1.0.0\n`
  t.equal(set(bitnami, undefined, { tag: '1.1.0' }), bitnami.replace('1.0.0', '1.1.0'), 'found by shape')
  t.equal(set(bitnami, 'image.tag', { tag: '1.1.0' }), bitnami.replace('1.0.0', '1.1.0'), 'a missing tag key means the map keeps its tag in version')
  t.equal(set(bitnami, 'image', { tag: '1.1.0', digest: D }), bitnami.replace('1.0.0', `1.1.0@${D}`))
  const both = `image:\n  repository: ${I}\n  version: 2\n  tag: 1.0.0\n`
  t.equal(set(both, undefined, { tag: '1.1.0' }), both.replace('1.0.0', '1.1.0'), 'tag wins by shape')
  t.equal(set(both, 'image.version', { tag: '3' }), both.replace('version: 2', 'version: "3"'), 'a key naming version outright sets version')
  const parts = `image:\n  registry: ghcr.io\n  repository: acme/orders-api\n  tag: 1.0.0\n`
  for (const key of ['image.repository', 'image.registry']) {
    t.equal(set(parts, key, { tag: '1.1.0' }), parts.replace('1.0.0', '1.1.0'), `${key} means its map: the tag is set beside it`)
  }
  const noRepo = `image:\n  version: 1.0.0\n`
  t.equal(open(noRepo).current, null, 'without a repository a version is not an image tag')
})

t.test('a key through aliases and merge keys is edited at the anchor', async (t) => {
  const merged = `base: &base\n  image:\n    repository: ${I}\n    tag: 1.0.0\nextra: &extra\n  image:\n    repository: ${I}\n    tag: 9.9.9\napi:\n  <<: [*base, *extra]\n`
  t.equal(set(merged, 'api.image.tag', { tag: '1.1.0' }), merged.replace('1.0.0', '1.1.0'), 'the earlier of several merged maps wins, as in YAML')
  const own = `base: &base\n  image:\n    repository: ${I}\n    tag: 1.0.0\napi:\n  <<: *base\n  image:\n    repository: ${I}\n    tag: 2.0.0\n`
  t.equal(set(own, 'api.image', { tag: '2.1.0' }), own.replace('2.0.0', '2.1.0'), "the map's own key beats the merged one")
  const addTag = `img: &img\n  repository: ${I}\napi:\n  image: *img\n`
  t.equal(set(addTag, 'api.image.tag', { tag: '1.0.0' }), `img: &img\n  repository: ${I}\n  tag: 1.0.0\napi:\n  image: *img\n`, 'a missing tag is added at the anchor')
  const listAlias = `versions:\n  - &v 1.0.0\napi:\n  image:\n    repository: ${I}\n    tag: *v\n`
  t.equal(set(listAlias, 'api.image.tag', { tag: '1.1.0' }), listAlias.replace('&v 1.0.0', '&v 1.1.0'), 'an anchor in a list')
  const quotedMerge = `base: &base\n  image: ${I}:1.0.0\napi:\n  "<<": *base\n`
  t.throws(() => open(quotedMerge, 'api.image'), { code: 'IMAGE_NOT_FOUND', data: { reason: 'no-such-key' } }, 'a quoted "<<" is an ordinary key')
})

t.test('a key that leads nowhere says why, by reason, for the image, file and key', async (t) => {
  const text = [
    'defaults: &defaults',
    '  image:',
    `    repository: ${I}`,
    'api:',
    `  image: ${I}:1.0.0`,
    '  <<: *defaults',
    'workers:',
    `  - image: ${I}:1.0.0`,
    'shared: *defaults',
    'empty:',
    '',
  ].join('\n')
  const cases: [string, Record<string, unknown>][] = [
    ['api.image.tag', { reason: 'not-a-map', at: 'api.image' }],
    ['empty.image', { reason: 'not-a-map', at: 'empty' }],
    ['workers.image', { reason: 'list-needs-index', at: 'workers' }],
    ['workers[3].image', { reason: 'index-out-of-range', at: 'workers' }],
    ['nothing.image', { reason: 'no-such-key', at: 'the top level' }],
    ['shared.worker.image', { reason: 'no-such-key', at: 'shared', alias: 'defaults' }],
    ['shared.image.registry.host', { reason: 'no-such-key', at: 'shared.image' }],
  ]
  for (const [key, data] of cases) {
    t.throws(() => open(text, key), { code: 'IMAGE_NOT_FOUND', data: { path: 'values.yaml', key, image: I, ...data } }, key)
  }
  t.throws(() => open(text, 'workers'), { code: 'YAML_UNSUPPORTED' }, 'a list is not a value')
  t.throws(() => open(text, 'shared.image.digest'), { code: 'IMAGE_NOT_FOUND', data: { reason: 'no-such-key' } }, 'only a last tag may be added')
})

t.test('several documents: the key may be in any; in none is an error', async (t) => {
  const text = `kind: other\n---\napi:\n  imageTag: 1.0.0\n`
  t.equal(set(text, 'api.imageTag', { tag: '1.1.0' }), text.replace('1.0.0', '1.1.0'))
  t.throws(() => open(text, 'api.tag.x'), { code: 'IMAGE_NOT_FOUND', data: { reason: 'no-such-key' } })
})

t.test('a key holding a bare digest sets the digest; a tag alone is refused there', async (t) => {
  const E = `sha256:${'5'.repeat(64)}`
  const text = `api:\n  imageRepository: ${I}\n  imageDigest: ${D}\n`
  const opened = open(text, 'api.imageDigest')
  t.same(opened.current, { digest: D }, 'read as a digest, not as an image named sha256')
  const both = opened.set({ tag: '1.1.0', digest: E })
  t.equal(both.text, text.replace(D, E), 'with a tag and a digest, the digest is set: it names the build exactly')
  t.same(both.after, { digest: E }, 'and the result says what the file now holds')
  t.throws(() => opened.set({ tag: '1.1.0' }), { code: 'YAML_UNSUPPORTED', data: { path: 'values.yaml', line: 3, key: 'api.imageDigest', reason: 'digest-only' } })
  t.equal(set(`api:\n  imageDigest: ""\n`, 'api.imageDigest', { digest: E }), `api:\n  imageDigest: "${E}"\n`, 'an empty key named for a digest takes one')
  t.equal(set(`pins: [${D}]\n`, 'pins[0]', { digest: E }), `pins: [${E}]\n`, 'a list item holding a digest')
  t.equal(set(`d: &d ${D}\napi:\n  imageDigest: *d\n`, 'api.imageDigest', { digest: E }), `d: &d ${E}\napi:\n  imageDigest: *d\n`, 'through an alias, at the anchor')
  for (const [value, key] of [
    ['sha256:bad', 'api.image'],
    ['1.0.0', 'api.imageDigest'],
  ]) {
    t.throws(() => open(`api:\n  other: 1\n  ${key!.slice(4)}: ${value}\n`, key), { code: 'INVALID_IMAGE_REF', data: { path: 'values.yaml', key, line: 3, image: I } }, `${value} at ${key} is not a digest`)
  }
})

t.test('an unreadable reference of the image is refused with its line, never left behind', async (t) => {
  const text = `api:\n  image: ${I}:1.0.0\nworker:\n  image: ${I}:1.0.0@sha256:bad\n`
  t.throws(() => open(text), { code: 'INVALID_IMAGE_REF', data: { path: 'values.yaml', line: 4, key: 'worker.image' } }, 'found by shape')
  t.throws(() => open(text, 'worker.image'), { code: 'INVALID_IMAGE_REF', data: { path: 'values.yaml', line: 4, key: 'worker.image' } }, 'named by a key')
  t.equal(set(text, 'api.image', { tag: '1.1.0' }), text.replace('1.0.0\n', '1.1.0\n'), 'a key that names the readable one edits just that')
  const other = `api:\n  image: ${I}:1.0.0\nsidecar:\n  image: ghcr.io/acme/other:1@sha256:bad\n`
  t.equal(set(other, undefined, { tag: '1.1.0' }), other.replace('1.0.0', '1.1.0'), "another image's bad reference is not ours to judge")
})

t.test('called directly, a file that does not set the image names it', async (t) => {
  t.throws(() => helmValues.open('replicaCount: 1\n', I, 'values.yaml').set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { path: 'values.yaml', image: I } })
  t.throws(() => helmValues.open('', I, 'values.yaml', { key: 'image.tag' }).set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { path: 'values.yaml', image: I } }, 'an empty file, with a key')
})
