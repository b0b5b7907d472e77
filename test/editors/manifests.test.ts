import t from 'tap'
import { openImage } from '../../src/editors/registry.js'
import { decodeUtf8 } from '../../src/editors/yaml-text.js'

/** Plain manifests opened the way the worker and `set-image` open a file: bytes decoded, the editor picked by path and content. */
const I = 'ghcr.io/acme/orders-api'
const open = (text: string) => openImage('deployment.yaml', decodeUtf8(Buffer.from(text)), I)

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
