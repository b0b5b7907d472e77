import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { editorByFormat } from '../../src/editors/registry.js'

/**
 * Golden fixtures: test/fixtures/editors/<format>/<case>/{input.yaml,
 * set.json, expected.yaml}. set.json holds the image, tag and/or digest, and
 * the target's key or imagePolicies where the case needs them. The output must
 * equal expected.yaml byte for byte, read back as what was set, and setting
 * the same value again must change nothing.
 */
const root = path.join(import.meta.dirname, '..', 'fixtures', 'editors')

for (const format of fs.readdirSync(root).sort()) {
  const editor = editorByFormat(format)
  t.test(format, async (t) => {
    for (const name of fs.readdirSync(path.join(root, format)).sort()) {
      t.test(name, async (t) => {
        const dir = path.join(root, format, name)
        const input = fs.readFileSync(path.join(dir, 'input.yaml'), 'utf8')
        const expected = fs.readFileSync(path.join(dir, 'expected.yaml'), 'utf8')
        const { key, imagePolicies, ...set } = JSON.parse(fs.readFileSync(path.join(dir, 'set.json'), 'utf8'))
        const options = { ...(key && { key }), ...(imagePolicies && { imagePolicies }) }
        const file = format === 'kustomize' ? 'kustomization.yaml' : 'file.yaml'
        const result = editor.set(input, set, file, options)
        t.equal(result.text, expected, 'output is byte-identical to expected.yaml')
        t.equal(result.changed, true)
        const again = editor.set(result.text, set, file, options)
        t.equal(again.changed, false, 'setting the same value twice is a no-op')
        t.equal(again.text, result.text)
        const read = editor.read(result.text, set.image, file, options)
        if (set.tag) t.equal(read?.tag, set.tag)
        if (set.digest) t.equal(read?.digest, set.digest)
        else t.equal(read?.digest, undefined, 'a stale digest does not survive a new tag')
      })
    }
  })
}
