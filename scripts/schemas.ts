import { CONFIG_SCHEMA } from '../src/config/config-schema.js'
import { SERVICE_SCHEMA } from '../src/projects/service-schema.js'

/** Each schema the code checks with, and where it is published for editors. */
const SCHEMAS = [
  { schema: SERVICE_SCHEMA, json: 'schemas/infra-sync.schema.json' },
  { schema: CONFIG_SCHEMA, json: 'schemas/infra-sync.config.schema.json' },
]

/** Every published schema file and its content. */
export function generatedFiles(): Record<string, string> {
  const out: Record<string, string> = {}
  for (const { schema, json } of SCHEMAS) out[json] = `${JSON.stringify(schema, null, 2)}\n`
  return out
}
