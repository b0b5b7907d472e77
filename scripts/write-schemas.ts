// `npm run schemas`: writes the published JSON Schemas and their compiled validators from the schemas in the code.
import fs from 'node:fs'
import path from 'node:path'
import { generatedFiles } from './schemas.js'

const root = path.resolve(import.meta.dirname, '..')
for (const [file, content] of Object.entries(generatedFiles())) {
  fs.mkdirSync(path.dirname(path.join(root, file)), { recursive: true })
  fs.writeFileSync(path.join(root, file), content)
  process.stdout.write(`wrote ${file}\n`)
}
