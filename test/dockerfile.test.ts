import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { spawnServer } from './helpers/child-server.js'
import { tmpDir } from './helpers/tmp.js'

/**
 * No Docker engine runs here, so the Dockerfile is checked for what can be
 * checked, and what it runs is run exactly as written, with its environment.
 */
const root = path.resolve(import.meta.dirname, '..')
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')
const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))

t.test('multi-stage, non-root, and it copies only what exists', async (t) => {
  t.equal(dockerfile.match(/^FROM /gm)?.length, 2)
  t.match(runStage, /^USER node$/m)
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1]!.split(/\s+/)) t.ok(fs.existsSync(path.join(root, src)), `COPY ${src} exists`)
  }
  const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')
  for (const needed of ['src', 'services', 'infra-template', 'package.json']) t.notOk(ignored.includes(needed), `${needed} is not docker-ignored`)
})

t.test("the image's command, with the image's environment, serves", async (t) => {
  const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(runStage)![1]!) as string[]
  t.same(cmd, ['node', 'dist/cli.js', 'serve'])
  const env: Record<string, string> = {}
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(runStage)![1]!.replace(/\\\n/g, ' ')
  for (const m of block.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!
  t.equal(env.HOST, '0.0.0.0', 'listens beyond loopback in a container')
  const dir = tmpDir(t)
  const child = await spawnServer(dir, { ...env, PORT: '0', INFRA_SYNC_DATA: path.join(dir, 'data') })
  t.teardown(() => child.proc.kill('SIGKILL'))
  t.match(child.output(), /Server listening at http:\/\/127\.0\.0\.1:\d+/)
  const res = await fetch(`${child.url}/healthz`)
  t.equal(res.status, 200)
  t.equal(await child.stop(), 0)
})
