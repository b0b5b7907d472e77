// `npm run schemas`: writes the published JSON Schemas from the ones the code checks with.
import fs from 'node:fs'
import path from 'node:path'
import { PUBLISHED_SCHEMAS, renderSchema } from '../src/config/published-schemas.js'

const root = path.resolve(import.meta.dirname, '..')
for (const [file, schema] of Object.entries(PUBLISHED_SCHEMAS)) {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
  fs.writeFileSync(path.join(root, file), renderSchema(schema))
  process.stdout.write(`wrote ${file}\n`)
}
