import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { openImage } from '../../src/editors/registry.js'
import { decodeFile, encodeFile } from '../../src/editors/file-codec.js'

/**
 * Golden fixtures: test/fixtures/editors/<format>/<case>/{input.yaml,
 * set.json, expected.yaml}. set.json holds the image, tag and/or digest, and
 * the target's key or imagePolicies where the case needs them; `file` names
 * the file, and then its format is detected as the service detects it
 * (otherwise it is the folder's); `refuse` is the code the edit must be
 * refused with (no expected.yaml then).
 *
 * Each case runs the path the worker and set-image take: the file's bytes are
 * decoded by decodeFile, edited through openImage, and encoded by encodeFile.
 * The output must equal expected.yaml byte for byte, read back as what was set,
 * and setting the same value again must change nothing.
 */
const root = path.join(import.meta.dirname, '..', 'fixtures', 'editors')

interface SetJson {
  readonly image: string
  readonly tag?: string
  readonly digest?: string
  readonly key?: string
  readonly imagePolicies?: readonly string[]
  readonly file?: string
  readonly refuse?: string
}

function sameBytes(t: Test, got: Uint8Array, want: Buffer, what: string): void {
  const g = Buffer.from(got)
  if (g.equals(want)) return void t.pass(what)
  // A readable diff where the text differs, a byte-level one where only the encoding does (a BOM).
  if (g.toString('utf8') !== want.toString('utf8')) t.equal(g.toString('utf8'), want.toString('utf8'), what)
  else t.equal(g.toString('hex'), want.toString('hex'), what)
}

for (const format of fs.readdirSync(root).sort()) {
  t.test(format, async (t) => {
    for (const name of fs.readdirSync(path.join(root, format)).sort()) {
      t.test(name, async (t) => {
        const dir = path.join(root, format, name)
        const spec = JSON.parse(fs.readFileSync(path.join(dir, 'set.json'), 'utf8')) as SetJson
        const { image, tag, digest, key, imagePolicies, refuse } = spec
        const file = spec.file ?? (format === 'kustomize' ? 'kustomization.yaml' : 'file.yaml')
        const target = { ...(spec.file === undefined && { format }), ...(key && { key }), ...(imagePolicies && { imagePolicies }) }
        const change = { ...(tag !== undefined && { tag }), ...(digest !== undefined && { digest }) }
        const open = (bytes: Uint8Array) => openImage(file, decodeFile(bytes, file), image, target)
        const edit = (bytes: Uint8Array) => {
          const result = open(bytes).set(change)
          return { ...result, bytes: encodeFile(result.text) }
        }
        const input = fs.readFileSync(path.join(dir, 'input.yaml'))
        if (refuse !== undefined) {
          t.throws(() => edit(input), { code: refuse }, `refused with ${refuse}`)
          t.notOk(fs.existsSync(path.join(dir, 'expected.yaml')), 'a refused case has no expected output')
          return
        }
        const result = edit(input)
        sameBytes(t, result.bytes, fs.readFileSync(path.join(dir, 'expected.yaml')), 'output is byte-identical to expected.yaml')
        t.equal(result.changed, true)
        const again = edit(result.bytes)
        t.equal(again.changed, false, 'setting the same value twice is a no-op')
        sameBytes(t, again.bytes, Buffer.from(result.bytes), 'and writes the same bytes')
        const read = open(result.bytes).current
        if (tag) t.equal(read?.tag, tag)
        if (digest) t.equal(read?.digest, digest)
        else t.equal(read?.digest, undefined, 'a stale digest does not survive a new tag')
      })
    }
  })
}
