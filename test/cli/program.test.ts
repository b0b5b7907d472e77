import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../helpers/child-server.js'

/** The program itself, before any command: what an operator checking an install types first. */
const run = (...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { encoding: 'utf8', timeout: 60_000 })
const { version } = JSON.parse(fs.readFileSync(path.resolve(import.meta.dirname, '..', '..', 'package.json'), 'utf8')) as { version: string }

t.test('--version and -V print the package version and exit 0', async (t) => {
  for (const flag of ['--version', '-V']) {
    const r = run(flag)
    t.equal(r.status, 0, r.stderr)
    t.equal(r.stdout, `${version}\n`)
  }
})

t.test('an unknown option or command is a usage error: exit 2 with the help', async (t) => {
  for (const args of [['--no-such-flag'], ['no-such-command']]) {
    const r = run(...args)
    t.equal(r.status, 2, args.join(' '))
    t.not(r.stderr, '', 'says why on stderr')
  }
})
