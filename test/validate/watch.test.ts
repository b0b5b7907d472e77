import { spawn } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../helpers/child-server.js'
import { eventually } from '../helpers/tmp.js'
import { EXAMPLES, makeCheckout, positionOf } from './checkout-fixture.js'

/** `infra-sync validate DIR --watch [--json]` as a real process; its stdout as lines. */
function watchProcess(t: { teardown(fn: () => unknown): void }, dir: string, ...args: string[]) {
  const proc = spawn(process.execPath, [CLI, 'validate', dir, '--watch', ...args], { stdio: ['ignore', 'pipe', 'pipe'] })
  let out = ''
  let err = ''
  proc.stdout.on('data', (c: Buffer) => (out += c.toString()))
  proc.stderr.on('data', (c: Buffer) => (err += c.toString()))
  const exited = new Promise<number | null>((r) => proc.on('exit', (code) => r(code)))
  t.teardown(() => {
    if (proc.exitCode === null) proc.kill('SIGKILL')
  })
  const lines = () => out.split('\n').filter((l) => l !== '')
  return {
    lines,
    stderr: () => err,
    /** Waits until `count` lines match (output is checked, never a pause). */
    waitFor: (re: RegExp, count = 1) => eventually(() => (lines().filter((l) => re.test(l)).length >= count ? true : undefined), 30_000, `${re} ×${count} in:\n${out}\n${err}`),
    stop: async () => {
      proc.kill('SIGTERM')
      return exited
    },
  }
}

t.test('--watch: re-checks on every save, prints each new finding once, and the valid line once all are fixed', async (t) => {
  const dir = makeCheckout(t)
  const kustomization = path.join(dir, 'services/web-frontend/overlays/dev/kustomization.yaml')
  const config = path.join(dir, 'services/web-frontend/infra-sync.yaml')
  const good = { kustomization: fs.readFileSync(kustomization, 'utf8'), config: fs.readFileSync(config, 'utf8') }
  const w = watchProcess(t, dir)
  await w.waitFor(new RegExp(`^the checkout is valid \\(${EXAMPLES} services\\)$`))

  // Change a tag key: kustomize would refuse the file.
  fs.writeFileSync(kustomization, good.kustomization.replace('newTag:', 'newtag:'))
  const at = positionOf(good.kustomization, 'newTag:')
  await w.waitFor(new RegExp(`^services/web-frontend/overlays/dev/kustomization\\.yaml:${at.line}:${at.column} KUSTOMIZATION_INVALID `))

  // Break the YAML of another file while the first finding stands: only the new one is printed.
  fs.writeFileSync(config, 'source: acme/web\nimage: [ghcr.io/acme/web-frontend\npolicy: semver\n')
  await w.waitFor(/^services\/web-frontend\/infra-sync\.yaml:3:1 YAML_INVALID /)
  t.equal(w.lines().filter((l) => / KUSTOMIZATION_INVALID /.test(l)).length, 1, 'a finding already printed is not printed again')

  // Fix both: the valid line again.
  fs.writeFileSync(config, good.config)
  fs.writeFileSync(kustomization, good.kustomization)
  await w.waitFor(new RegExp(`^the checkout is valid \\(${EXAMPLES} services\\)$`), 2)

  // A new service folder is picked up, and its mistake found in it.
  fs.mkdirSync(path.join(dir, 'services/billing/overlays/dev'), { recursive: true })
  fs.writeFileSync(path.join(dir, 'services/billing/overlays/dev/kustomization.yaml'), 'images:\n  - name: ghcr.io/acme/billing\n    newTag: "1.0.0"\n')
  fs.writeFileSync(path.join(dir, 'services/billing/infra-sync.yaml'), 'source: acme/billing\nimage: ghcr.io/acme/billing\npolcy: semver\n')
  await w.waitFor(/^services\/billing\/infra-sync\.yaml:3:1 SCHEMA_INVALID /)
  fs.writeFileSync(path.join(dir, 'services/billing/infra-sync.yaml'), 'source: acme/billing\nimage: ghcr.io/acme/billing\npolicy: semver\n')
  await w.waitFor(new RegExp(`^the checkout is valid \\(${EXAMPLES + 1} services\\)$`))

  t.equal(await w.stop(), 0, 'exits as its last check: valid')
  t.equal(w.stderr(), '')
})

t.test('--watch --json: one JSON object per new finding, then {valid: true}', async (t) => {
  const dir = makeCheckout(t, { 'services/web-frontend/infra-sync.yaml': 'source: acme/web\nimage: ghcr.io/acme/web-frontend\npolcy: semver\n' })
  const w = watchProcess(t, dir, '--json')
  await w.waitFor(/SCHEMA_INVALID/)
  const first = JSON.parse(w.lines()[0]!) as Record<string, unknown>
  t.same(Object.keys(first).sort(), ['code', 'column', 'file', 'line', 'message'])
  t.match(first, { file: 'services/web-frontend/infra-sync.yaml', line: 3, column: 1, code: 'SCHEMA_INVALID' })
  fs.writeFileSync(path.join(dir, 'services/web-frontend/infra-sync.yaml'), 'source: acme/web\nimage: ghcr.io/acme/web-frontend\npolicy: semver\n')
  await w.waitFor(/"valid":true/)
  t.same(JSON.parse(w.lines().at(-1)!), { valid: true, services: EXAMPLES })
  t.equal(await w.stop(), 0)
})
