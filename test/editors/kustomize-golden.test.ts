import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { kustomizeImages } from '../../src/editors/kustomize-images.js'

/**
 * Golden fixtures: test/fixtures/editors/kustomize/<case>/{input.yaml,
 * set.json, expected.yaml}. The output must equal expected.yaml byte for byte,
 * and setting the same value again must change nothing.
 */
const root = path.join(import.meta.dirname, '..', 'fixtures', 'editors', 'kustomize')

for (const name of fs.readdirSync(root).sort()) {
  t.test(name, async (t) => {
    const dir = path.join(root, name)
    const input = fs.readFileSync(path.join(dir, 'input.yaml'), 'utf8')
    const expected = fs.readFileSync(path.join(dir, 'expected.yaml'), 'utf8')
    const set = JSON.parse(fs.readFileSync(path.join(dir, 'set.json'), 'utf8'))
    const result = kustomizeImages.set(input, set, 'kustomization.yaml')
    t.equal(result.text, expected, 'output is byte-identical to expected.yaml')
    t.equal(result.changed, true)
    const again = kustomizeImages.set(result.text, set, 'kustomization.yaml')
    t.equal(again.changed, false, 'setting the same value twice is a no-op')
    t.equal(again.text, result.text)
    const read = kustomizeImages.read(result.text, set.image)
    t.equal(read?.tag, set.tag ?? read?.tag)
    if (set.digest) t.equal(read?.digest, set.digest)
  })
}
