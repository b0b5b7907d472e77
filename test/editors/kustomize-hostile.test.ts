import t from 'tap'
import { kustomizeImages as k } from '../../src/editors/kustomize-images.js'
import { decodeFile } from '../../src/editors/file-codec.js'

const img = 'ghcr.io/acme/orders-api'
const set = (text: string) => k.set(text, { image: img, tag: '1.4.2' }, 'kustomization.yaml')

t.test('hostile and broken YAML is refused by code, without a crash', async (t) => {
  const bomb = ['a: &a ["x","x","x","x","x","x","x","x","x"]']
  for (let i = 1; i < 9; i++) bomb.push(`${String.fromCharCode(97 + i)}: &${String.fromCharCode(97 + i)} [*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)},*${String.fromCharCode(96 + i)}]`)
  const cases: [string, string, string][] = [
    ['alias bomb', `${bomb.join('\n')}\nimages:\n  - name: ${img}\n    newTag: 1\n`, 'YAML_HOSTILE'],
    ['duplicate keys', `images:\n  - name: ${img}\n    newTag: 1.0.0\n    newTag: 2.0.0\n`, 'YAML_HOSTILE'],
    ['deep flow nesting', `x: ${'['.repeat(5000)}${']'.repeat(5000)}\n`, 'YAML_HOSTILE'],
    ['deep block nesting', Array.from({ length: 500 }, (_, i) => `${' '.repeat(i)}k${i}:`).join('\n') + ' 1\n', 'YAML_HOSTILE'],
    ['syntax error', 'images:\n  - name: [unclosed\n', 'YAML_INVALID'],
    ['a list, not a kustomization', '- a\n- b\n', 'YAML_INVALID'],
    ['images is not a list', 'images: nope\n', 'YAML_INVALID'],
    ['two documents', 'a: 1\n---\nb: 2\n', 'YAML_INVALID'],
    ['tag is an alias', `x: &v 1.0.0\nimages:\n  - name: ${img}\n    newTag: *v\n`, 'YAML_UNSUPPORTED'],
    ['tag is a block scalar', `images:\n  - name: ${img}\n    newTag: |\n      1.0.0\n`, 'YAML_UNSUPPORTED'],
  ]
  for (const [name, text, code] of cases) t.throws(() => set(text), { code }, name)
})

t.test('invalid UTF-8 and oversized files are refused when decoded', async (t) => {
  t.throws(() => decodeFile(Buffer.from([0x61, 0x3a, 0x20, 0xff, 0xfe, 0x0a])), { code: 'YAML_INVALID' })
  t.throws(() => decodeFile(Buffer.alloc(1024 * 1024 + 1, 0x61)), { code: 'YAML_HOSTILE' })
  t.equal(decodeFile(Buffer.from('é: ü\n')), 'é: ü\n')
})

t.test('nothing to set is a usage error', async (t) => {
  t.throws(() => k.set('images: []\n', { image: img }), { code: 'INVALID_INPUT' })
})

t.test('read finds the produced image, not a look-alike', async (t) => {
  const text = `images:\n  - name: ${img}-worker\n    newTag: 9.9.9\n  - name: ${img}\n    newTag: 1.0.0\n`
  t.same(k.read(text, img), { tag: '1.0.0' })
  t.equal(k.read('resources: []\n', img), null)
  t.equal(k.read('', img), null)
})

t.test('detects kustomization file names only', async (t) => {
  for (const p of ['kustomization.yaml', 'a/b/kustomization.yml', 'x/Kustomization']) t.ok(k.detect(p), p)
  for (const p of ['values.yaml', 'kustomization.yaml.bak', 'my-kustomization.yaml']) t.notOk(k.detect(p), p)
})
