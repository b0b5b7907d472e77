import t from 'tap'
import { manifests } from '../../src/editors/manifests.js'
import { openImage } from '../../src/editors/registry.js'
import { decodeFile } from '../../src/editors/file-codec.js'

/** Plain manifests opened the way the worker and `set-image` open a file: bytes decoded, the editor picked by path and content. */
const I = 'ghcr.io/acme/orders-api'
const open = (text: string) => openImage('deployment.yaml', decodeFile(Buffer.from(text)), I)

const volume = (ref: string) => `    volumes:\n    - name: model\n      image:\n        reference: ${ref}\n        pullPolicy: IfNotPresent\n`

t.test('an image volume is an image site like a container', async (t) => {
  const cases: [string, string][] = [
    ['Pod', `kind: Pod\nspec:\n  containers: []\n${volume(`${I}:1.0.0`).replace(/^ {2}/gm, '')}`],
    ['Deployment', `kind: Deployment\nspec:\n  template:\n    spec:\n${volume(`${I}:1.0.0`).replace(/^/gm, '  ')}`],
    ['CronJob', `kind: CronJob\nspec:\n  jobTemplate:\n    spec:\n      template:\n        spec:\n${volume(`${I}:1.0.0`).replace(/^/gm, '      ')}`],
  ]
  for (const [kind, text] of cases) {
    const opened = open(text)
    t.same(opened.current, { tag: '1.0.0' }, `${kind}: read`)
    t.equal(opened.set({ tag: '1.1.0' }).text, text.replace(`${I}:1.0.0`, `${I}:1.1.0`), `${kind}: only the reference changes`)
  }
})

t.test('an image volume can be pinned, and holds a digest like a container', async (t) => {
  const text = `kind: Pod\nspec:\n  volumes:\n  - name: m\n    image: {reference: "${I}:1.0.0"}  # infra-sync: pin\n`
  t.equal(open(text).pinned, true)
  const digest = `sha256:${'5'.repeat(64)}`
  const plain = text.replace('  # infra-sync: pin', '')
  t.equal(open(plain).set({ tag: '1.1.0', digest }).text, plain.replace('1.0.0', `1.1.0@${digest}`))
})

t.test('volumes that are not image volumes of a workload are passed over', async (t) => {
  for (const [what, text] of [
    ['another image', `kind: Pod\nspec:\n  volumes:\n  - image: {reference: ${I}-worker:1.0.0}\n`],
    ['not a workload', `kind: ConfigMap\nspec:\n  volumes:\n  - image: {reference: ${I}:1.0.0}\n`],
    ['an image key outside image', `kind: Pod\nspec:\n  volumes:\n  - reference: ${I}:1.0.0\n  - image: ${I}:1.0.0\n`],
    ['a list, not a map', `kind: Pod\nspec:\n  volumes:\n  - image: [${I}:1.0.0]\n`],
  ]) {
    const opened = open(text!)
    t.equal(opened.current, null, what)
    t.throws(() => opened.set({ tag: '1.1.0' }), { code: 'IMAGE_NOT_FOUND' }, what)
  }
})

t.test('an unreadable reference of the image refuses the file with its line, never left behind', async (t) => {
  const pod = `kind: Pod\nspec:\n  containers:\n  - image: ${I}:1.0.0\n  - image: ${I}:1.0.0@sha256:bad\n`
  t.throws(() => open(pod), { code: 'INVALID_IMAGE_REF', data: { path: 'deployment.yaml', line: 5, key: 'spec.containers[1].image' } }, 'a container')
  t.throws(() => open(`kind: Pod\nspec:\n  containers:\n  - image: ${I}:1.0.0\n${volume(`${I}@sha256:bad`).replace(/^ {2}/gm, '')}`), { code: 'INVALID_IMAGE_REF', data: { line: 8 } }, 'an image volume')
  const other = `kind: Pod\nspec:\n  containers:\n  - image: ${I}:1.0.0\n  - image: ghcr.io/acme/other:1@sha256:bad\n`
  t.equal(open(other).set({ tag: '1.1.0' }).text, other.replace('1.0.0', '1.1.0'), "another image's bad reference is not ours to judge")
})

t.test('called directly, a file that does not set the image names it', async (t) => {
  t.throws(() => manifests.open('kind: Service\nspec: {}\n', I, 'svc.yaml').set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { path: 'svc.yaml', image: I } })
})
