import { SERVICE_SCHEMA } from '../projects/service-schema.js'
import { CONFIG_SCHEMA } from './config-schema.js'

/** The schemas as published in the repository for editors (`npm run schemas` writes them; a test checks they are current). */
export const PUBLISHED_SCHEMAS: Readonly<Record<string, object>> = {
  'schemas/infra-sync.schema.json': SERVICE_SCHEMA,
  'schemas/infra-sync.config.schema.json': CONFIG_SCHEMA,
}

export function renderSchema(schema: object): string {
  return `${JSON.stringify(schema, null, 2)}\n`
}
