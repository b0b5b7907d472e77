import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { setImageCommand } from '../../src/cli/set-image.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * Conformance with other tools, from their own fixtures: every case under
 * cases/<project>/<case>/ is {case.json, input.yaml, expected.yaml}. The input
 * is written to a file named as case.json's `file` (detection reads the name)
 * and edited by set-image's own command, step by step; the file must then
 * equal expected.yaml byte for byte, or a step must be refused with the
 * expected code and leave the file as it was. The format is in README.md.
 */
interface Step {
  readonly image: string
  readonly tag?: string
  readonly digest?: string
  readonly key?: string
  readonly format?: string
  readonly imagePolicy?: readonly string[]
}

interface Case {
  readonly source: { readonly repository: string; readonly commit: string; readonly path: string; readonly test?: string }
  readonly file: string
  readonly args: Step | readonly Step[]
  readonly expect: 'bytes' | { readonly code: string }
  readonly differs?: string
  readonly adapted?: string
}

const here = import.meta.dirname
const casesDir = path.join(here, 'cases')
const io = { out: () => {}, err: () => {} }

function loadCases(): { id: string; dir: string; c: Case }[] {
  const out = []
  for (const project of fs.readdirSync(casesDir).sort()) {
    for (const name of fs.readdirSync(path.join(casesDir, project)).sort()) {
      const dir = path.join(casesDir, project, name)
      out.push({ id: `${project}/${name}`, dir, c: JSON.parse(fs.readFileSync(path.join(dir, 'case.json'), 'utf8')) as Case })
    }
  }
  return out
}

const steps = (c: Case): readonly Step[] => (Array.isArray(c.args) ? c.args : [c.args as Step])

function run(file: string, step: Step): void {
  const arg = `${step.image}${step.tag !== undefined ? `:${step.tag}` : ''}${step.digest !== undefined ? `@${step.digest}` : ''}`
  setImageCommand(
    file,
    arg,
    {
      ...(step.key !== undefined && { key: step.key }),
      ...(step.format !== undefined && { format: step.format }),
      ...(step.imagePolicy !== undefined && { imagePolicy: step.imagePolicy }),
    },
    io,
  )
}

function sameBytes(t: Test, got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return void t.pass(what)
  // A readable diff where the text differs; a byte-level one where only the encoding does (a BOM, say).
  if (got.toString('utf8') !== want.toString('utf8')) t.equal(got.toString('utf8'), want.toString('utf8'), what)
  else t.equal(got.toString('hex'), want.toString('hex'), what)
}

const cases = loadCases()

t.test('every case says where it came from and what it expects', async (t) => {
  t.ok(cases.length >= 40, `${cases.length} cases`)
  for (const { id, dir, c } of cases) {
    t.match(c.source, { repository: /^[\w.-]+\/[\w.-]+$/, commit: /^[0-9a-f]{40}$/, path: /\S/ }, `${id}: source`)
    t.match(c.file, /^[^/\\]+$/, `${id}: file is a plain name`)
    t.ok(steps(c).length > 0 && steps(c).every((s) => typeof s.image === 'string' && (s.tag !== undefined || s.digest !== undefined)), `${id}: args`)
    const bytes = c.expect === 'bytes'
    t.ok(bytes || typeof c.expect?.code === 'string', `${id}: expect is "bytes" or {code}`)
    t.equal(fs.existsSync(path.join(dir, 'expected.yaml')), bytes, `${id}: expected.yaml exactly when bytes are expected`)
    if (c.differs !== undefined) t.ok(c.differs.trim().length > 20, `${id}: differs says why`)
  }
})

t.test('the README and SOURCES.md name every difference and every upstream', async (t) => {
  const readme = fs.readFileSync(path.join(here, '..', '..', 'README.md'), 'utf8')
  const start = readme.indexOf('## Conformance with other tools')
  t.ok(start >= 0, 'README has the section')
  const section = readme.slice(start, readme.indexOf('\n## ', start + 1))
  for (const { id, c } of cases) if (c.differs !== undefined) t.ok(section.includes(`\`${id}\``), `README lists ${id}`)
  const sources = fs.readFileSync(path.join(here, 'SOURCES.md'), 'utf8')
  for (const { id, c } of cases) t.ok(sources.includes(c.source.repository) && sources.includes(c.source.commit), `SOURCES.md names ${id}'s upstream and commit`)
})

for (const { id, dir, c } of cases) {
  t.test(id, async (t) => {
    const input = fs.readFileSync(path.join(dir, 'input.yaml'))
    const file = path.join(tmpDir(t, 'infra-sync-conformance-'), c.file)
    fs.writeFileSync(file, input)
    if (c.expect === 'bytes') {
      try {
        for (const step of steps(c)) run(file, step)
      } catch (e) {
        return void t.fail(`set-image refused: ${(e as { code?: string }).code ?? 'no code'}: ${(e as Error).message}`)
      }
      const result = fs.readFileSync(file)
      sameBytes(t, result, fs.readFileSync(path.join(dir, 'expected.yaml')), 'the file equals expected.yaml')
      // Every upstream tool is idempotent: the same update again changes nothing.
      for (const step of steps(c)) run(file, step)
      sameBytes(t, fs.readFileSync(file), result, 'running it again changes nothing')
    } else {
      const code = c.expect.code
      let before = input
      let refused: unknown
      for (const step of steps(c)) {
        before = fs.readFileSync(file)
        try {
          run(file, step)
        } catch (e) {
          refused = e
          break
        }
      }
      t.equal((refused as { code?: string } | undefined)?.code, code, `refused with ${code}`)
      sameBytes(t, fs.readFileSync(file), before, 'the refused step left the file as it was')
    }
  })
}
