import fc from 'fast-check'
import t from 'tap'
import { parse } from 'yaml'
import { kustomizeImages as k } from '../../src/editors/kustomize-images.js'

/**
 * For generated kustomizations (indentation, sequence style, quoting, comments,
 * blank lines, line endings, neighbouring entries), setting a new tag changes
 * only the bytes of the old tag, and the file re-parses to the old content with
 * just that value changed.
 */
const img = 'ghcr.io/acme/orders-api'
const tagArb = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/)
const comment = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z ]{0,20}$/).map((c) => ` # ${c}`))
const q = (style: number, v: string) => (style === 0 ? JSON.stringify(v) : style === 1 ? `'${v}'` : v)

const doc = fc.record({
  indent: fc.constantFrom(2, 4),
  dashIndent: fc.constantFrom(0, 2),
  style: fc.constantFrom(0, 1),
  eol: fc.constantFrom('\n', '\r\n'),
  oldTag: fc.stringMatching(/^[a-z][a-z0-9.-]{0,10}$/),
  newTag: tagArb,
  nameComment: comment,
  tagComment: comment,
  headComment: comment,
  blank: fc.boolean(),
  before: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }),
  after: fc.array(fc.stringMatching(/^[a-z]{1,8}$/), { maxLength: 3 }),
  finalNewline: fc.boolean(),
})

t.test('property: only the edited scalar changes', async (t) => {
  fc.assert(
    fc.property(doc, (d) => {
      const pad = ' '.repeat(d.dashIndent)
      const inner = ' '.repeat(d.dashIndent + 2)
      const entry = (name: string, tag: string, c1 = '', c2 = '') => [`${pad}- name: ${name}${c1}`, `${inner}newTag: ${tag}${c2}`]
      const lines = [`${d.headComment.trim()}`, 'kind: Kustomization', 'resources:', `${' '.repeat(d.indent)}- ../../base`, 'images:']
      for (const b of d.before) lines.push(...entry(`docker.io/acme/${b}`, '"1"'))
      if (d.blank) lines.push('')
      const tagLineIndex = lines.length + 1
      lines.push(...entry(img, q(d.style, d.oldTag), d.nameComment, d.tagComment))
      if (d.blank) lines.push('')
      for (const a of d.after) lines.push(...entry(`docker.io/acme/${a}x`, "'2'"))
      let input = lines.join(d.eol)
      if (d.finalNewline) input += d.eol
      if (d.oldTag === d.newTag) return true

      const out = k.set(input, { image: img, tag: d.newTag }).text
      // The changed region, found by common prefix and suffix, lies inside the old tag scalar.
      const tagLineStart = lines.slice(0, tagLineIndex).join(d.eol).length + d.eol.length
      const scalar = q(d.style, d.oldTag)
      const start = input.indexOf(`newTag: ${scalar}`, tagLineStart) + 'newTag: '.length
      const end = start + scalar.length
      let p = 0
      while (p < input.length && p < out.length && input[p] === out[p]) p++
      let s = 0
      while (s < input.length - p && s < out.length - p && input[input.length - 1 - s] === out[out.length - 1 - s]) s++
      if (p < start || input.length - s > end) return false
      const before = parse(input) as { images: { name: string; newTag: unknown }[] }
      const after = parse(out) as typeof before
      const i = before.images.findIndex((e) => e.name === img)
      before.images[i]!.newTag = d.newTag
      after.images[i]!.newTag = String(after.images[i]!.newTag)
      return JSON.stringify(before) === JSON.stringify(after)
    }),
    { numRuns: 1500 },
  )
  t.pass('edits stay inside the scalar')
})
