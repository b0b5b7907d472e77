import t from 'tap'
import { helmValues, parseKeyPath } from '../../src/editors/helm-values.js'
import { openSites } from '../../src/editors/image-sites.js'
import { manifests } from '../../src/editors/manifests.js'
import { markers, parseMarker } from '../../src/editors/markers.js'
import { editorFor, openImage } from '../../src/editors/registry.js'
import { parseYamlDocs } from '../../src/editors/yaml-text.js'

const I = 'ghcr.io/acme/orders-api'
const bomb = (tail: string) => {
  const lines = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  for (let i = 1; i < 9; i++) {
    const prev = String.fromCharCode(96 + i)
    lines.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [${Array(9).fill(`*${prev}`).join(',')}]`)
  }
  return `${lines.join('\n')}\n${tail}`
}

t.test('hostile and broken YAML is refused by code in every format', async (t) => {
  const inputs: Record<string, [string, string, string][]> = {
    helm: [
      ['alias bomb', bomb(`image:\n  repository: ${I}\n  tag: 1\n`), 'YAML_HOSTILE'],
      ['duplicate keys', `image:\n  repository: ${I}\n  tag: 1\n  tag: 2\n`, 'YAML_HOSTILE'],
      ['deep flow nesting', `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'YAML_HOSTILE'],
      ['deep block nesting', Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n', 'YAML_HOSTILE'],
      ['syntax error', 'image: [unclosed\n', 'YAML_INVALID'],
      ['tag is an alias', `x: &v 1.0.0\nimage:\n  repository: ${I}\n  tag: *v\n`, 'YAML_UNSUPPORTED'],
      ['tag is a block scalar', `image:\n  repository: ${I}\n  tag: |\n    1.0.0\n`, 'YAML_UNSUPPORTED'],
    ],
    manifests: [
      ['alias bomb', bomb(`kind: Pod\nspec:\n  containers:\n  - image: ${I}:1\n`), 'YAML_HOSTILE'],
      ['duplicate keys', `kind: Pod\nspec:\n  containers:\n  - image: ${I}:1\n    image: ${I}:2\n`, 'YAML_HOSTILE'],
      ['syntax error in a later document', `kind: Pod\n---\nspec: {\n`, 'YAML_INVALID'],
      ['no such image', `kind: Pod\nspec:\n  containers:\n  - image: ${I}-worker:1\n`, 'IMAGE_NOT_FOUND'],
    ],
    markers: [
      ['alias bomb', bomb(`tag: 1 # infra-sync: ${I}:tag\n`), 'YAML_HOSTILE'],
      ['duplicate keys', `tag: 1 # infra-sync: ${I}:tag\ntag: 2\n`, 'YAML_HOSTILE'],
      ['a digest-only marker cannot take a tag', `digest: "" # infra-sync: ${I}:digest\n`, 'YAML_UNSUPPORTED'],
    ],
  }
  const editors = { helm: helmValues, manifests, markers }
  for (const [format, cases] of Object.entries(inputs)) {
    for (const [name, text, code] of cases) {
      t.throws(() => editors[format as keyof typeof editors].set(text, { image: I, tag: '1.4.2' }, 'file.yaml'), { code }, `${format}: ${name}`)
    }
  }
})

t.test('a key names one place exactly, and says so when it is wrong', async (t) => {
  const text = `api:\n  image:\n    repository: docker.io/acme/other\n    tag: 1\nworkers:\n  - image: docker.io/acme/other:1\n`
  const set = (key: string) => helmValues.set(text, { image: I, tag: '2' }, 'values.yaml', { key })
  t.throws(() => set('api.image.tag'), { code: 'IMAGE_MISMATCH' }, 'the sibling repository is another image')
  t.throws(() => set('workers[0].image'), { code: 'IMAGE_MISMATCH' }, 'the value is another image')
  t.throws(() => set('api.nothing.tag'), { code: 'IMAGE_NOT_FOUND' }, 'no such key')
  t.throws(() => set('api..tag'), { code: 'INVALID_KEY' })
  t.throws(() => set('api.image.repository'), { code: 'IMAGE_MISMATCH' }, 'a scalar that is not this image: refused rather than overwritten')
  t.throws(() => set('workers'), { code: 'YAML_UNSUPPORTED' }, 'a list is not a value')
  t.same(helmValues.set(text, { image: I, tag: '2' }, 'values.yaml', { key: 'api.tag' }).after, { tag: '2' }, 'a missing last tag is added')
  t.same(parseKeyPath('a.b[0][2].c'), ['a', 'b', 0, 2, 'c'])
  t.same(parseKeyPath('workers.1.image'), ['workers', 1, 'image'])
})

t.test('a file that does not mention the image is reported, not edited', async (t) => {
  for (const [editor, text] of [
    [helmValues, 'replicaCount: 1\n'],
    [manifests, 'kind: Service\nspec: {}\n'],
    [markers, `tag: 1 # infra-sync: ${I}-worker:tag\n`],
  ] as const) {
    const opened = editor.open(text, I, 'file.yaml')
    t.equal(opened.current, null)
    t.equal(opened.canAdd, false)
    t.throws(() => opened.set({ tag: '1' }), { code: 'IMAGE_NOT_FOUND' }, editor.format)
  }
})

t.test('markers: what counts as one', async (t) => {
  t.same(parseMarker(` infra-sync: ${I}`), { image: I, role: 'ref' })
  t.same(parseMarker(` infra-sync: localhost:5000/app:digest`), { image: 'localhost:5000/app', role: 'digest' })
  t.same(parseMarker(` {"$imagepolicy": "flux-system:app:tag"}`), { policy: 'flux-system:app', role: 'tag' })
  t.same(parseMarker(` {"$imagepolicy": "flux-system:app"}`), { policy: 'flux-system:app', role: 'ref' })
  t.equal(parseMarker(' infra-sync: pin'), null)
  t.equal(parseMarker(' {"$imagepolicy": "a:b:c:d"}'), null)
  t.equal(parseMarker(' {"$imagepolicy": "a:b:size"}'), null)
  t.equal(parseMarker(' just a comment'), null)
  // A Flux marker without the mapping in infra-sync.yaml names nothing.
  t.equal(markers.read(`tag: 1 # {"$imagepolicy": "flux-system:app:tag"}\n`, I), null)
  t.same(markers.read(`tag: 1 # {"$imagepolicy": "flux-system:app:tag"}\n`, I, 'f.yaml', { imagePolicies: ['flux-system:app'] }), { tag: '1' })
})

t.test('detection: by name, then by content', async (t) => {
  const cases: [string, string | undefined, string][] = [
    ['a/kustomization.yaml', 'images: []\n', 'kustomize'],
    ['a/kustomization.yaml', `x: 1 # infra-sync: ${I}\n`, 'kustomize'],
    ['a/values.yaml', 'image: {}\n', 'helm'],
    ['a/values-prod.yml', undefined, 'markers'],
    ['a/values-prod.yml', 'image: {}\n', 'helm'],
    ['a/release.yaml', `tag: 1 # {"$imagepolicy": "ns:p:tag"}\n`, 'markers'],
    ['a/release.yaml', `tag: 1 # infra-sync: pin\n`, 'manifests'],
    ['a/deployment.yaml', 'kind: Deployment\n', 'manifests'],
  ]
  for (const [p, text, format] of cases) t.equal(editorFor(p, undefined, text).format, format, `${p} ${JSON.stringify(text)}`)
  t.throws(() => editorFor('a/README.md', undefined, '# hi\n'), { code: 'UNKNOWN_FORMAT' })
  t.throws(() => editorFor('a/values.yaml', 'jsonnet'), { code: 'UNKNOWN_FORMAT' })
  t.same(openImage('a/values.yaml', `img: ${I}:1 # infra-sync: ${I}\n`, I, { format: 'markers' }).current, { tag: '1' })
})

t.test('the read-back check refuses an edit that does not read back', async (t) => {
  const text = `image: ${I}:1\n`
  const parsed = parseYamlDocs(text)
  const node = (parsed.docs[0]!.contents as { items: { value: unknown }[] }).items[0]!.value
  const opened = openSites(parsed, [{ kind: 'ref', node: node as never }], 'values.yaml', () => [])
  t.throws(() => opened.set({ tag: '2' }), { code: 'EDIT_VERIFY_FAILED' })
})

t.test('a value pinned on its line reads as pinned in every format', async (t) => {
  const cases: [string, string, string][] = [
    ['kustomize', 'kustomization.yaml', `images:\n- name: ${I}\n  newTag: 1.0.0 # infra-sync: pin\n`],
    ['helm', 'values.yaml', `image:\n  repository: ${I}\n  tag: 1.0.0   #infra-sync: pin\r\n`],
    ['manifests', 'd.yaml', `kind: Pod\nspec:\n  containers:\n  - image: ${I}:1.0.0 # infra-sync: pin\n`],
  ]
  for (const [format, file, text] of cases) {
    t.equal(openImage(file, text, I, { format }).pinned, true, format)
    t.equal(openImage(file, text.replace(/ *# ?infra-sync: pin/, ''), I, { format }).pinned, false, `${format} without the comment`)
  }
  t.equal(openImage('values.yaml', `image:\n  repository: ${I} # infra-sync: pin the repo, not the tag\n  tag: 1\n`, I).pinned, false, 'only the exact comment pins')
  t.equal(openImage('values.yaml', `image:\n  repository: ${I} # infra-sync: pin\n  tag: 1\n`, I).pinned, true, 'the repository line pins too')
})
