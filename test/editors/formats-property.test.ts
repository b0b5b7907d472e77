import fc from 'fast-check'
import t from 'tap'
import { parseAllDocuments } from 'yaml'
import { editorByFormat } from '../../src/editors/registry.js'

/**
 * For generated Helm values, manifests and marked files (indentation,
 * sequence style, quoting, comments, blank lines, line endings, a byte-order
 * mark, neighbours, several documents), setting a new tag changes only bytes inside the edited
 * scalar, and the output re-parses to the input with just that value changed.
 * The kustomize editor has its own property test beside this one.
 */
const IMG = 'ghcr.io/acme/orders-api'
const OLD = '@OLD@'
const oldTag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,10}$/)
const newTag = fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,15}$/)
const comment = fc.oneof(fc.constant(''), fc.stringMatching(/^[a-z ]{0,12}$/).map((c) => ` # ${c}`))
const quote = fc.constantFrom<'plain' | 'single' | 'double'>('plain', 'single', 'double')
const render = (q: 'plain' | 'single' | 'double', v: string) => (q === 'double' ? JSON.stringify(v) : q === 'single' ? `'${v}'` : v)
const word = fc.stringMatching(/^[a-z]{1,8}$/)

interface Generated {
  readonly format: string
  readonly lines: string[]
  readonly old: string
  readonly options?: { imagePolicies?: string[] }
  /** Sets the new value on the parsed input, as the editor should have. */
  readonly patch: (docs: unknown[], tag: string) => void
}

const layout = fc.record({ eol: fc.constantFrom('\n', '\r\n'), finalNewline: fc.boolean(), indent: fc.constantFrom(2, 4), blank: fc.boolean(), head: comment, bom: fc.boolean() })

const helm = fc.record({ l: layout, q: quote, old: oldTag, c1: comment, c2: comment, registry: fc.boolean(), policyFirst: fc.boolean(), flow: fc.boolean(), more: fc.uniqueArray(word, { maxLength: 3 }) }).map(({ l, q, old, c1, c2, registry, policyFirst, flow, more }): [Generated, typeof l] => {
  const pad = ' '.repeat(l.indent)
  const lines = [l.head.trim(), 'replicaCount: 2']
  if (l.blank) lines.push('')
  const repo = registry ? [`${pad}registry: ghcr.io`, `${pad}repository: acme/orders-api${c1}`] : [`${pad}repository: ${IMG}${c1}`]
  if (flow) lines.push(`image: {${registry ? 'registry: ghcr.io, repository: acme/orders-api' : `repository: ${IMG}`}, tag: ${render(q, OLD)}}${c2}`)
  else {
    lines.push('image:', ...(policyFirst ? [`${pad}pullPolicy: Always`] : []), ...repo)
    if (l.blank) lines.push('')
    lines.push(`${pad}tag: ${render(q, OLD)}${c2}`, ...(policyFirst ? [] : [`${pad}pullPolicy: Always`]))
  }
  for (const m of more) lines.push(`${m}x:`, `${pad}repository: docker.io/acme/${m}`, `${pad}tag: "1"`)
  return [{ format: 'helm', lines, old, patch: (docs, tag) => ((docs[0] as { image: { tag: unknown } }).image.tag = tag) }, l]
})

const manifest = fc.record({ l: layout, q: quote, old: oldTag, c: comment, dash: fc.constantFrom(0, 2), before: fc.array(word, { maxLength: 2 }), after: fc.array(word, { maxLength: 2 }), service: fc.boolean(), kind: fc.constantFrom('Deployment', 'StatefulSet', 'Rollout', 'Job') }).map(
  ({ l, q, old, c, dash, before, after, service, kind }): [Generated, typeof l] => {
    const p = (n: number) => ' '.repeat(n * l.indent)
    const d = ' '.repeat(dash)
    const lines = [l.head.trim()]
    if (service) lines.push('kind: Service', 'spec:', `${p(1)}ports: [{port: 80}]`, '---')
    lines.push(`kind: ${kind}`, 'spec:', `${p(1)}template:`, `${p(2)}spec:`, `${p(3)}containers:`)
    const item = (name: string, image: string, cm = '') => [`${p(3)}${d}- name: ${name}`, `${p(3)}${d}  image: ${image}${cm}`]
    for (const b of before) lines.push(...item(b, `docker.io/acme/${b}:1`))
    if (l.blank) lines.push('')
    const index = before.length
    lines.push(...item('app', render(q, `${IMG}:${OLD}`), c))
    for (const a of after) lines.push(...item(`${a}z`, `${IMG}-${a}:1`))
    return [
      {
        format: 'manifests',
        lines,
        old,
        patch: (docs, tag) => {
          const doc = docs[service ? 1 : 0] as { spec: { template: { spec: { containers: { image: string }[] } } } }
          doc.spec.template.spec.containers[index]!.image = `${IMG}:${tag}`
        },
      },
      l,
    ]
  },
)

const marked = fc.record({ l: layout, q: quote, old: oldTag, flux: fc.boolean(), neighbours: fc.uniqueArray(word.filter((w) => w !== 'tag'), { maxLength: 3 }) }).map(({ l, q, old, flux, neighbours }): [Generated, typeof l] => {
  const pad = ' '.repeat(l.indent)
  const marker = flux ? ' # {"$imagepolicy": "flux-system:orders:tag"}' : ` # infra-sync: ${IMG}:tag`
  const lines = [l.head.trim(), 'spec:', `${pad}values:`]
  for (const n of neighbours) lines.push(`${pad}${pad}${n}: 1 # infra-sync: pin`)
  if (l.blank) lines.push('')
  lines.push(`${pad}${pad}tag: ${render(q, OLD)}${marker}`)
  return [
    { format: 'markers', lines, old, options: { imagePolicies: ['flux-system:orders'] }, patch: (docs, tag) => ((docs[0] as { spec: { values: { tag: unknown } } }).spec.values.tag = tag) },
    l,
  ]
})

const parseAll = (text: string) => parseAllDocuments(text).map((d) => d.toJS())

t.test('property: only the edited scalar changes, in every format', async (t) => {
  fc.assert(
    fc.property(fc.oneof(helm, manifest, marked), newTag, ([g, l], tag) => {
      let template = (l.bom ? '\uFEFF' : '') + g.lines.join(l.eol)
      if (l.finalNewline) template += l.eol
      const at = template.indexOf(OLD)
      const input = template.replace(OLD, g.old)
      if (g.old === tag) return true
      const out = editorByFormat(g.format).set(input, { image: IMG, tag }, 'file.yaml', g.options ?? {}).text
      // The changed region, found by common prefix and suffix, lies inside the old scalar (with its quotes).
      const start = at - 1
      const end = at + g.old.length + 1
      let p = 0
      while (p < input.length && p < out.length && input[p] === out[p]) p++
      let s = 0
      while (s < input.length - p && s < out.length - p && input[input.length - 1 - s] === out[out.length - 1 - s]) s++
      if (p < start || input.length - s > end) return false
      const want = parseAll(input)
      g.patch(want, tag)
      return JSON.stringify(parseAll(out)) === JSON.stringify(want)
    }),
    { numRuns: 1500 },
  )
  t.pass('edits stay inside the scalar')
})
