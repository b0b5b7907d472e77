import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import fs from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import t from 'tap'
import { CLI, spawnServer } from './helpers/child-server.js'
import { tmpDir } from './helpers/tmp.js'

/**
 * No Docker engine runs here, so the Dockerfile is checked for what can be
 * checked, and what it runs is run exactly as written, with its environment.
 *
 * Which Node runs it: the one running this test. A plain `npm test` runs on
 * whatever Node the developer has, and still starts the image's command with
 * the image's environment on it (that Node must be a supported one). `.ci/run`
 * runs the whole suite a second time on the image's Node (the version in
 * `.ci/node-lts-version`, with its own `npm ci` so better-sqlite3 is built for
 * it) and says so with INFRA_SYNC_TEST_NODE; then this test also requires that
 * it and the server it starts really run that version, so a broken PATH in CI
 * cannot quietly turn that round into a second run on the machine's Node.
 */
const root = path.resolve(import.meta.dirname, '..')
const dockerfile = fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8')
const runStage = dockerfile.slice(dockerfile.lastIndexOf('\nFROM '))
const engines = (JSON.parse(fs.readFileSync(path.join(root, 'package.json'), 'utf8')) as { engines: { node: string } }).engines.node
const ciNode = fs.readFileSync(path.join(root, '.ci', 'node-lts-version'), 'utf8').trim()

t.test('multi-stage, non-root, and it copies only what exists', async (t) => {
  t.equal(dockerfile.match(/^FROM /gm)?.length, 2)
  t.match(runStage, /^USER node$/m)
  for (const m of dockerfile.matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
    for (const src of m[1]!.split(/\s+/)) t.ok(fs.existsSync(path.join(root, src)), `COPY ${src} exists`)
  }
  const ignored = fs.readFileSync(path.join(root, '.dockerignore'), 'utf8').split('\n')
  for (const needed of ['src', 'services', 'infra-template', 'package.json']) t.notOk(ignored.includes(needed), `${needed} is not docker-ignored`)
})

t.test('the image runs a supported Node LTS, the one CI runs the suite on', async (t) => {
  const images = [...dockerfile.matchAll(/^FROM (\S+)/gm)].map((m) => m[1]!)
  t.equal(new Set(images).size, 1, 'both stages on one image: the native modules built in one load in the other')
  const major = /^node:(\d+)-/.exec(images[0]!)?.[1]
  t.ok(major, `${images[0]} names a Node major`)
  t.ok(Number(major) % 2 === 0, 'an even major: the line that becomes LTS')
  t.ok(semver.valid(ciNode), `.ci/node-lts-version holds a version: ${ciNode}`)
  t.equal(semver.major(ciNode), Number(major), 'CI runs the suite on the Docker image major')
  t.ok(semver.satisfies(ciNode, engines), `${ciNode} is within engines ${engines}`)
  t.ok(semver.satisfies(process.version, engines), `this Node (${process.version}) is within engines ${engines}`)
})

t.test("the image's command, with the image's environment, serves", async (t) => {
  const cmd = JSON.parse(/^CMD (\[.+\])$/m.exec(runStage)![1]!) as string[]
  t.same(cmd, ['node', 'dist/cli.js', 'serve'])
  const env: Record<string, string> = {}
  const block = /^ENV ((?:.*\\\n)*.*)$/m.exec(runStage)![1]!.replace(/\\\n/g, ' ')
  for (const m of block.matchAll(/(\w+)=(\S+)/g)) env[m[1]!] = m[2]!
  t.equal(env.HOST, '0.0.0.0', 'listens beyond loopback in a container')
  t.equal(env.INFRA_SYNC_IN_CONTAINER, 'true', 'the image says it is a container: no development secret')
  const bare = tmpDir(t)
  const refused = spawnSync(process.execPath, [CLI, 'serve'], {
    cwd: bare,
    env: { PATH: process.env.PATH ?? '', ...env, PORT: '0', INFRA_SYNC_DATA: path.join(bare, 'data') },
    encoding: 'utf8',
    timeout: 60_000,
  })
  t.equal(refused.status, 1, 'without a secret the image refuses to start')
  t.match(refused.stderr, /\[CONFIG_INVALID\]\n$/)
  t.notOk(fs.existsSync(path.join(bare, 'data', 'webhook-secret')), 'and generates none')
  const wanted = process.env.INFRA_SYNC_TEST_NODE
  if (wanted !== undefined) t.equal(process.version, `v${wanted}`, 'this round runs on the Node CI asked for')
  // In a container the server will not invent a development secret; a deployment gives it one.
  const secret = randomBytes(32).toString('base64url')
  const dir = tmpDir(t)
  const child = await spawnServer(dir, { ...env, PORT: '0', INFRA_SYNC_DATA: path.join(dir, 'data'), INFRA_SYNC_SECRET: secret })
  t.teardown(() => child.proc.kill('SIGKILL'))
  t.match(child.output(), /Server listening at http:\/\/127\.0\.0\.1:\d+/)
  const res = await fetch(`${child.url}/healthz`)
  t.equal(res.status, 200)
  // The server's own report of the Node it runs on: the image's command ran on this test's Node.
  const metrics = await (await fetch(`${child.url}/metrics`)).text()
  t.match(metrics, `nodejs_version_info{version="${process.version}"`)
  t.equal(await child.stop(), 0)
  t.notMatch(child.output(), secret, 'the secret never reaches the log')
})
