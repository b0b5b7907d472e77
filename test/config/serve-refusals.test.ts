import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../helpers/child-server.js'
import { tmpDir } from '../helpers/tmp.js'

/** `infra-sync serve` as an operator runs it (needs `npm run build`): a refused configuration stops it before it listens. */
function serve(cwd: string, env: Record<string, string>) {
  const r = spawnSync(process.execPath, [CLI, 'serve'], {
    cwd,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', PORT: '0', INFRA_SYNC_DATA: path.join(cwd, 'data'), ...env },
    encoding: 'utf8',
    timeout: 60_000,
  })
  return { status: r.status, stderr: r.stderr }
}

t.test('in a container with no secret, serve exits 1 with CONFIG_INVALID and generates nothing', async (t) => {
  const dir = tmpDir(t)
  const r = serve(dir, { INFRA_SYNC_IN_CONTAINER: 'true' })
  t.equal(r.status, 1)
  t.match(r.stderr, /^infra-sync: .* \[CONFIG_INVALID\]\n$/)
  t.notOk(fs.existsSync(path.join(dir, 'data', 'webhook-secret')))
})

t.test('an unknown key in the config file: serve exits 1 and names the file first', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'infra-sync.config.yaml')
  fs.writeFileSync(file, 'rateLimit: { persecond: 5 }\n')
  const r = serve(dir, { INFRA_SYNC_IN_CONTAINER: 'false' })
  t.equal(r.status, 1)
  t.ok(r.stderr.startsWith(`infra-sync: ${file}: rateLimit.persecond: `), r.stderr)
  t.match(r.stderr, /\[CONFIG_INVALID\]\n$/)
})
