import t from 'tap'
import type { Scalar, YAMLMap } from 'yaml'
import { helmValues, parseKeyPath } from '../../src/editors/helm-values.js'
import { openSites, refSite } from '../../src/editors/image-sites.js'
import { manifests } from '../../src/editors/manifests.js'
import { markers, parseMarker } from '../../src/editors/markers.js'
import { editorFor, openImage } from '../../src/editors/registry.js'
import { decodeFile, encodeFile } from '../../src/editors/file-codec.js'
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

t.test('decodeFile keeps a byte-order mark and encodeFile writes it back; the editors set it aside', async (t) => {
  const bytes = Buffer.from(`\uFEFFimage: ${I}:1 # infra-sync: ${I}\n`, 'utf8')
  const text = decodeFile(bytes)
  t.equal(text.charCodeAt(0), 0xfeff)
  t.same(Buffer.from(encodeFile(text)), bytes)
  const parsed = parseYamlDocs(text)
  t.equal(parsed.bom, '\uFEFF')
  t.equal(parsed.text, text.slice(1))
  t.throws(() => decodeFile(Buffer.from([0xef, 0xbb, 0xbf, 0xff])), { code: 'YAML_INVALID' })
})

t.test('an occurrence of the image that does not parse refuses the file, with its line and key', async (t) => {
  const text = `api:\n  image: ${I}:1.0.0 # infra-sync: ${I}\nworker:\n  image: ${I}:1.0.0@sha256:bad # infra-sync: ${I}\n`
  t.throws(() => markers.open(text, I, 'values.yaml'), { code: 'INVALID_IMAGE_REF', data: { path: 'values.yaml', line: 4, key: 'worker.image' } })
  // The helper the shape finders use: the image's own name with a bad digest is refused, another image is not ours.
  const parsed = parseYamlDocs(`a: ${I}:1@sha256:bad\nb: ghcr.io/acme/other:1@sha256:bad\nc: ${I}:2\nd: not an image\n`)
  const node = (k: string) => (parsed.docs[0]!.contents as YAMLMap).get(k, true) as Scalar
  t.throws(() => refSite(parsed, node('a'), I, 'f.yaml'), { code: 'INVALID_IMAGE_REF', data: { line: 1, key: 'a' } })
  t.equal(refSite(parsed, node('b'), I, 'f.yaml'), null)
  t.same(refSite(parsed, node('c'), I, 'f.yaml'), { kind: 'ref', node: node('c') })
  t.equal(refSite(parsed, node('d'), I, 'f.yaml'), null)
})

t.test('a marker for the image that cannot be set refuses the file; a comment alone on its line is not a marker', async (t) => {
  const cases: [string, string][] = [
    ['on a map', `image: # infra-sync: ${I}\n  repository: ${I}\n  tag: 1\ntag: 1 # infra-sync: ${I}:tag\n`],
    ['on a block scalar', `tag: |- # infra-sync: ${I}:tag\n  1.0.0\nother: 1 # infra-sync: ${I}:tag\n`],
    ['a part on a list item', `tags:\n  - 1.0.0 # infra-sync: ${I}:tag\nother: 1 # infra-sync: ${I}:tag\n`],
    ['a Flux setter in a flow map', `image: {tag: 1} # {"$imagepolicy": "ns:app:tag"}\nother: 1 # {"$imagepolicy": "ns:app:tag"}\n`],
  ]
  for (const [name, text] of cases) t.throws(() => markers.open(text, I, 'v.yaml', { imagePolicies: ['ns:app'] }), { code: 'YAML_UNSUPPORTED', data: { path: 'v.yaml' } }, name)
  const alone = `# infra-sync: ${I}:tag\ntag: 1 # infra-sync: ${I}:tag\n`
  t.equal(markers.set(alone, { image: I, tag: 'v2' }, 'v.yaml').text, alone.replace('tag: 1 ', 'tag: v2 '))
  t.equal(markers.read(`x: 1 # infra-sync: ghcr.io/acme/other:tag\n`, I), null, 'a marker for another image is not ours to check')
})

t.test('an infra-sync marker on another image is IMAGE_MISMATCH, with both images, the file, line and key', async (t) => {
  const text = `spec:\n  values:\n    image: ghcr.io/other/thing:1.0 # infra-sync: ${I}\n`
  t.throws(() => markers.open(text, I, 'release.yaml'), { code: 'IMAGE_MISMATCH', data: { path: 'release.yaml', image: I, found: 'ghcr.io/other/thing:1.0', line: 3, key: 'spec.values.image' } })
  t.throws(() => markers.open(`repo: ghcr.io/other/thing # infra-sync: ${I}:name\ntag: 1 # infra-sync: ${I}:tag\n`, I, 'r.yaml'), { code: 'IMAGE_MISMATCH', data: { found: 'ghcr.io/other/thing', key: 'repo' } })
  // The same image spelled another way is the image.
  t.same(markers.read(`image: nginx:1.27 # infra-sync: docker.io/library/nginx\n`, 'nginx'), { tag: '1.27' })
})

t.test('a Flux setter naming another image reads as holding nothing of this one, and takes the policy image', async (t) => {
  const opts = { imagePolicies: ['ns:p'] }
  const text = `image: image:v1.0.0 # {"$imagepolicy": "ns:p"}\n`
  const opened = markers.open(text, 'index.repo.fake/updated', 'c.yaml', opts)
  t.same(opened.current, {}, 'the tag there is another image’s')
  t.equal(opened.set({ tag: 'v1.0.1' }).text, `image: index.repo.fake/updated:v1.0.1 # {"$imagepolicy": "ns:p"}\n`)
  t.equal(markers.set(`image: nginx:1 # {"$imagepolicy": "ns:p"}\n`, { image: 'docker.io/library/nginx', tag: '2' }, 'c.yaml', opts).text, `image: nginx:2 # {"$imagepolicy": "ns:p"}\n`, 'the same image keeps its spelling')
  t.throws(() => markers.set(`repo: x # {"$imagepolicy": "ns:p:name"}\n`, { image: I, tag: '2' }, 'c.yaml', opts), { code: 'IMAGE_NOT_FOUND', data: { image: I } }, 'a name alone does not deploy a tag')
  t.throws(() => markers.set(`d: "" # {"$imagepolicy": "ns:p:digest"}\n`, { image: I, tag: '2' }, 'c.yaml', opts), { code: 'YAML_UNSUPPORTED' }, 'a digest setter alone cannot take a tag')
})

t.test('openImage: a key first, then markers for the image over any format, then only markers for image policies', async (t) => {
  const kustomization = `images:\n  - name: container\n    newName: replaced # {"$imagepolicy": "ns:p:name"}\n    newTag: v1 # {"$imagepolicy": "ns:p:tag"}\n`
  for (const format of [undefined, 'kustomize', 'helm', 'manifests']) {
    const opened = openImage('kustomization.yaml', kustomization, 'index.repo.fake/updated', { imagePolicies: ['ns:p'], ...(format && { format }) })
    t.equal(opened.canAdd, false, `${format ?? 'detected'}: the marked entry, not a new one`)
    t.match(opened.set({ tag: 'v2' }).text, /newName: index\.repo\.fake\/updated #.*\n    newTag: v2 #/)
  }
  const deployment = `kind: Pod\nspec:\n  containers:\n    - image: ${I}:1\n`
  t.same(openImage('pod.yaml', deployment, I).current, { tag: '1' }, 'without policies the shape finds it')
  const policed = openImage('pod.yaml', deployment, I, { imagePolicies: ['ns:p'] })
  t.equal(policed.current, null, 'with policies an unmarked line is not the policy’s')
  t.throws(() => policed.set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { image: I } })
  const values = `worker:\n  image: ghcr.io/acme/worker:1 # infra-sync: ghcr.io/acme/worker\napi:\n  image:\n    repository: ${I}\n    tag: v1\n`
  t.equal(openImage('values.yaml', values, I).set({ tag: 'v2' }).text, values.replace('tag: v1', 'tag: v2'), 'a marker for another image does not hide this one')
  t.throws(() => openImage('kustomization.yaml', 'images: []\n', I, { key: 'image.tag', format: 'kustomize' }), { code: 'INVALID_INPUT' }, 'a key belongs to Helm values')
  t.throws(() => openImage('values.yaml', 'replicas: 1\n', I, { key: 'image.tag' }).set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { image: I } })
})

t.test('a file that does not set the image names it, whatever the format', async (t) => {
  const cases: [string, string][] = [
    ['values.yaml', 'replicaCount: 1\n'],
    ['deploy.yaml', 'kind: Service\nspec: {}\n'],
    ['release.yaml', `tag: 1 # infra-sync: ${I}-worker:tag\n`],
  ]
  for (const [file, text] of cases) t.throws(() => openImage(file, text, I).set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { path: file, image: I } }, file)
})

t.test('kustomize: an entry that renames the image away is not added to, and says why', async (t) => {
  const text = `images:\n  - name: ${I}\n    newName: mirror.internal/acme/orders-api\n`
  const opened = openImage('kustomization.yaml', text, I)
  t.equal(opened.current, null)
  t.equal(opened.canAdd, false, 'the worker passes it over as not deploying the image')
  t.throws(() => opened.set({ tag: '2' }), { code: 'IMAGE_NOT_FOUND', data: { path: 'kustomization.yaml', image: I, line: 3, renamedTo: 'mirror.internal/acme/orders-api' } })
  t.same(openImage('kustomization.yaml', text, 'mirror.internal/acme/orders-api').current, {}, 'the image it renames to is there')
})
