import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { Ajv } from 'ajv'
import { load } from 'js-yaml'
import { generatedFiles } from '../../scripts/schemas.js'
import { CONFIG_SCHEMA } from '../../src/config/config-schema.js'
import { schemaCheck } from '../../src/core/schema-check.js'
import { parseServiceConfig } from '../../src/projects/service-config.js'
import { SERVICE_SCHEMA } from '../../src/projects/service-schema.js'

const root = path.resolve(import.meta.dirname, '..', '..')
const readme = fs.readFileSync(path.join(root, 'README.md'), 'utf8')
type Node = Record<string, unknown>

t.test('the published schemas are current (run `npm run schemas` after changing a schema)', async (t) => {
  const files = generatedFiles()
  t.same(Object.keys(files).sort(), [
    'schemas/infra-sync.config.schema.json',
    'schemas/infra-sync.schema.json',
  ])
  for (const [file, content] of Object.entries(files)) t.equal(fs.readFileSync(path.join(root, file), 'utf8'), content, file)
})

t.test('the schemas are valid draft-07 schemas', async (t) => {
  const ajv = new Ajv({ strict: true, allowUnionTypes: true })
  for (const schema of [SERVICE_SCHEMA, CONFIG_SCHEMA]) t.ok(ajv.validateSchema(schema), `${schema.title}: ${ajv.errorsText()}`)
})

/** Every object schema below `node`, with the path to it. */
function* objects(node: Node, at: string): Generator<[string, Node]> {
  if (node.properties) yield [at, node]
  for (const [k, v] of Object.entries((node.properties ?? {}) as Record<string, Node>)) yield* objects(v, `${at}.${k}`)
  for (const [k, v] of Object.entries((node.definitions ?? {}) as Record<string, Node>)) yield* objects(v, `#${k}`)
  if (node.items && typeof node.items === 'object') yield* objects(node.items as Node, `${at}[]`)
}

t.test('the schemas are strict, and every key has a description', async (t) => {
  for (const schema of [SERVICE_SCHEMA, CONFIG_SCHEMA] as unknown as Node[]) {
    t.type(schema.description, 'string')
    for (const [at, node] of objects(schema, schema.title as string)) {
      t.equal(node.additionalProperties, false, `${at}: unknown keys are refused`)
      for (const [k, v] of Object.entries(node.properties as Record<string, Node>)) t.type(v.description, 'string', `${at}.${k} has a description`)
    }
  }
})

/** Follows `a.<name>.b` through a schema: `<…>` and owner/repo segments are map keys. */
function resolve(schema: Node, dotted: string): Node | undefined {
  let node: Node | undefined = schema
  for (const part of dotted.split('.')) {
    if (!node) return undefined
    const ref: string | undefined = node.$ref as string | undefined
    if (ref) node = (schema.definitions as Record<string, Node>)[ref.replace('#/definitions/', '')]
    if (!node) return undefined
    if (/^<.*>$/.test(part)) node = node.additionalProperties as Node
    else node = (node.properties as Record<string, Node> | undefined)?.[part]
    const inner: string | undefined = node?.$ref as string | undefined
    if (inner) node = (schema.definitions as Record<string, Node>)[inner.replace('#/definitions/', '')]
  }
  return node
}

function section(heading: string): string {
  const start = readme.indexOf(`\n${heading}\n`)
  t.ok(start >= 0, `README has ${heading}`)
  const rest = readme.slice(start + heading.length + 2)
  const end = rest.search(/\n## /)
  return end < 0 ? rest : rest.slice(0, end)
}

/** The rows of the table under `header`, up to the first line of prose (a blank line inside the table is tolerated). */
function tableRows(text: string, header: string): string[] {
  const lines = text.split('\n')
  const start = lines.findIndex((l) => l.startsWith(header))
  t.ok(start >= 0, `a table headed ${header}`)
  const rows: string[] = []
  for (const l of lines.slice(start + 2)) {
    if (l.startsWith('|')) rows.push(l)
    else if (l.trim() !== '') break
  }
  return rows
}

function names(cell: string): string[] {
  return [...cell.matchAll(/`([^`]+)`/g)].map((m) => m[1]!)
}

t.test("every key in the README's infra-sync.yaml field table is in the schema", async (t) => {
  const rows = tableRows(section('## Register a service'), '| field |')
  t.ok(rows.length >= 8, 'the field table was found')
  for (const row of rows) {
    for (const name of names(row.split('|')[1]!)) t.ok(resolve(SERVICE_SCHEMA as unknown as Node, name)?.description, name)
  }
})

t.test("every file key in the README's configuration table is in the schema", async (t) => {
  const rows = tableRows(section('## Configuration'), '| env | file key |')
  t.ok(rows.length >= 10, 'the table was found')
  for (const row of rows) {
    const cell = row.split('|')[2]!
    for (const name of names(cell).filter((n) => /^[a-z]/.test(n))) t.ok(resolve(CONFIG_SCHEMA as unknown as Node, name)?.description, name)
  }
})

t.test("the README's YAML examples pass the schemas", async (t) => {
  const checkConfig = schemaCheck(CONFIG_SCHEMA)
  const blocks = (text: string) => [...text.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => m[1]!)
  const configBlocks = blocks(section('## Configuration'))
  t.ok(configBlocks.length >= 1)
  for (const b of configBlocks) t.same(checkConfig(load(b)), [], b)
  const service = blocks(section('## Register a service')).find((b) => b.startsWith('source:'))!
  t.ok(parseServiceConfig(service, 'README.md'))
})

t.test('the template and the example services pass, and the template points editors at the published schema', async (t) => {
  const template = path.join(root, 'infra-template', 'basic', 'infra-sync.yaml')
  const text = fs.readFileSync(template, 'utf8')
  const modeline = /^# yaml-language-server: \$schema=(\S+)$/m.exec(text.split('\n')[0]!)
  t.ok(modeline, 'the first line is the modeline')
  const target = path.resolve(path.dirname(template), modeline![1]!)
  t.equal(target, path.join(root, 'schemas', 'infra-sync.schema.json'), 'it names the published schema')
  // Copied to services/<name>/, the same relative path reaches schemas/ at the repository root.
  t.equal(path.resolve(root, 'services', 'any-name', modeline![1]!), target)
  t.ok(parseServiceConfig(text, 'infra-template/basic/infra-sync.yaml'))
  for (const name of fs.readdirSync(path.join(root, 'services'))) {
    const file = path.join('services', name, 'infra-sync.yaml')
    t.ok(parseServiceConfig(fs.readFileSync(path.join(root, file), 'utf8'), file), file)
  }
})
