import fc from 'fast-check'
import t from 'tap'
import { unknownImageKeys } from '../../src/validate/kustomize-keys.js'
import { YamlPositions } from '../../src/validate/yaml-positions.js'

const CONFIG = 'source: acme/web\nimage: ghcr.io/acme/web\nenvironments:\n  dev:\n    path: overlays/dev\n    polcy: x\n  prod:\nbranches: [main, "release/*"]\n'

t.test('positions of keys and values by the paths schema-check renders', async (t) => {
  const p = new YamlPositions(CONFIG)
  t.same(p.of('image'), { line: 2, column: 8 })
  t.same(p.of('environments.dev.path'), { line: 5, column: 11 })
  t.same(p.of('environments.dev.polcy', true), { line: 6, column: 5 })
  t.same(p.of('environments.prod'), { line: 7, column: 3 }, 'an empty value: its key')
  t.same(p.of('branches[1]'), { line: 8, column: 18 })
  t.same(p.of('environments.qa.path'), { line: 3, column: 1 }, 'a path not all there: its deepest part')
  t.same(p.of('nowhere'), { line: 1, column: 1 })
  t.equal(p.syntaxError(), null)
  t.same(new YamlPositions('a: [1\nb: 2\n').syntaxError()?.position, { line: 2, column: 1 })
  t.same(new YamlPositions('---\na: 1\n---\nb: [\n').syntaxError()?.position.line, 5, 'a later document')
})

t.test('unknown keys of kustomization images entries', async (t) => {
  t.same(unknownImageKeys('images:\n  - name: x\n    newtag: "1"\n    digest: sha256:0\n'), [{ key: 'newtag', at: { line: 3, column: 5 }, suggestion: 'newTag' }])
  t.same(unknownImageKeys('images:\n  - {name: x, newTag: "1"}\n'), [])
  t.same(unknownImageKeys('images: [unclosed\n'), [], 'broken YAML is the editor’s to report')
})

// Untrusted text and paths: never a throw, always a position inside the text.
const yamlish = fc.array(fc.constantFrom('a', 'b', ':', ' ', '\n', '-', '[', ']', '{', '}', '"', "'", '&x', '*x', '#', '\t', '.', '?', '|', '>', 'ü', '\r'), { maxLength: 80 }).map((a) => a.join(''))
const pathish = fc.array(fc.constantFrom('a', 'b', '.', '[0]', '[1]', '[', ']', ''), { maxLength: 6 }).map((a) => a.join(''))

t.test('property: any text, any path: a position within the text, no throw', async (t) => {
  fc.assert(
    fc.property(yamlish, pathish, fc.boolean(), (text, path, key) => {
      const p = new YamlPositions(text)
      const lines = text.split(/\r\n|\r|\n/).length
      for (const at of [p.of(path, key), p.syntaxError()?.position ?? { line: 1, column: 1 }]) {
        if (!(at.line >= 1 && at.line <= lines + 1 && at.column >= 1)) return false
      }
      unknownImageKeys(text)
      return true
    }),
    { numRuns: 2000 },
  )
  t.pass()
})

t.test('property: in a generated mapping, every key is found where it was written', async (t) => {
  const key = fc.stringMatching(/^[a-z][a-zA-Z0-9-]{0,8}$/)
  fc.assert(
    fc.property(fc.uniqueArray(fc.tuple(key, fc.uniqueArray(key, { maxLength: 3 })), { selector: (e) => e[0], minLength: 1, maxLength: 6 }), fc.nat(4), (entries, blank) => {
      let text = '\n'.repeat(blank)
      const want: [string, number, number][] = []
      for (const [k, children] of entries) {
        want.push([k, text.split('\n').length, 1])
        text += children.length === 0 ? `${k}: v\n` : `${k}:\n`
        for (const c of children) {
          want.push([`${k}.${c}`, text.split('\n').length, 3])
          text += `  ${c}: 1\n`
        }
      }
      const p = new YamlPositions(text)
      return want.every(([path, line, column]) => {
        const at = p.of(path, true)
        return at.line === line && at.column === column
      })
    }),
    { numRuns: 500 },
  )
  t.pass()
})
