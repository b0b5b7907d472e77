import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t, { type Test } from 'tap'
import { CLI } from '../helpers/child-server.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * set-image as a user runs it (the built binary), for what a file must never
 * silently get wrong: its byte-order mark, a marked value that names another
 * image, Flux setters on a kustomization, an image policy with nothing marked,
 * and an occurrence of the image it cannot read. A refusal is one line,
 * `infra-sync: <file>: <message> [CODE]`, exit 1, and the file is untouched.
 */
const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' })
const BOM = Buffer.from([0xef, 0xbb, 0xbf])

function write(dir: string, name: string, text: string | Buffer): string {
  const file = path.join(dir, name)
  fs.writeFileSync(file, text)
  return file
}

function refusal(t: Test, r: ReturnType<typeof run>, file: string, code: string): string {
  t.equal(r.status, 1, `exit 1 (${r.stderr.trim()})`)
  const lines = r.stderr.trim().split('\n')
  t.equal(lines.length, 1, 'one line')
  t.ok(lines[0]!.startsWith(`infra-sync: ${file}: `), 'names the file first')
  t.ok(lines[0]!.endsWith(` [${code}]`), `ends with [${code}]`)
  return lines[0]!
}

t.test('a byte-order mark stays, in place and with --dry-run', async (t) => {
  const dir = tmpDir(t)
  const body = 'images:\r\n  - name: ghcr.io/acme/app\r\n    newTag: 1.0.0\r\n'
  const file = write(dir, 'kustomization.yaml', Buffer.concat([BOM, Buffer.from(body)]))
  const dry = spawnSync(process.execPath, [CLI, 'set-image', file, 'ghcr.io/acme/app:1.1.0', '--dry-run'], { cwd: dir })
  t.equal(dry.status, 0, String(dry.stderr))
  t.same(dry.stdout, Buffer.concat([BOM, Buffer.from(body.replace('1.0.0', '1.1.0'))]))
  const r = run(dir, 'set-image', file, 'ghcr.io/acme/app:1.1.0')
  t.equal(r.status, 0, r.stderr)
  t.same(fs.readFileSync(file), Buffer.concat([BOM, Buffer.from(body.replace('1.0.0', '1.1.0'))]))
})

t.test('--image-policy edits the marked kustomization entry, and adds nothing', async (t) => {
  const dir = tmpDir(t)
  const input = [
    'apiVersion: kustomize.config.k8s.io/v1beta1',
    'kind: Kustomization',
    'images:',
    '  - name: container',
    '    newName: replaced # {"$imagepolicy": "automation-ns:policy:name"}',
    '    newTag: v1 # {"$imagepolicy": "automation-ns:policy:tag"}',
    '',
  ].join('\n')
  const file = write(dir, 'kustomization.yaml', input)
  const r = run(dir, 'set-image', file, 'index.repo.fake/updated:v1.0.1', '--image-policy', 'automation-ns:policy')
  t.equal(r.status, 0, r.stderr)
  t.equal(fs.readFileSync(file, 'utf8'), input.replace('newName: replaced', 'newName: index.repo.fake/updated').replace('newTag: v1 ', 'newTag: v1.0.1 '))
  const again = run(dir, 'set-image', file, 'index.repo.fake/updated:v1.0.1', '--image-policy', 'automation-ns:policy')
  t.equal(again.status, 0, again.stderr)
  t.match(again.stderr, /already v1\.0\.1/, 'a second run changes nothing')
})

t.test('--image-policy on a file without its setters is refused, not applied to unmarked lines', async (t) => {
  const dir = tmpDir(t)
  const input = 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/app:1.0.0\n'
  const file = write(dir, 'deployment.yaml', input)
  const line = refusal(t, run(dir, 'set-image', file, 'ghcr.io/acme/app:1.1.0', '--image-policy', 'flux-system:app'), file, 'IMAGE_NOT_FOUND')
  t.ok(line.includes('ghcr.io/acme/app'), 'names the image')
  t.equal(fs.readFileSync(file, 'utf8'), input)
})

t.test('a Flux setter takes the policy image; an infra-sync marker on another image is refused', async (t) => {
  const dir = tmpDir(t)
  const flux = write(dir, 'cronjob.yaml', 'spec:\n  containers:\n    - image: image:v1.0.0 # {"$imagepolicy": "automation-ns:policy"}\n')
  const r = run(dir, 'set-image', flux, 'index.repo.fake/updated:v1.0.1', '--image-policy', 'automation-ns:policy')
  t.equal(r.status, 0, r.stderr)
  t.equal(fs.readFileSync(flux, 'utf8'), 'spec:\n  containers:\n    - image: index.repo.fake/updated:v1.0.1 # {"$imagepolicy": "automation-ns:policy"}\n')

  const input = 'api:\n  image: ghcr.io/other/thing:1.0 # infra-sync: ghcr.io/acme/app\n'
  const own = write(dir, 'values.yaml', input)
  const line = refusal(t, run(dir, 'set-image', own, 'ghcr.io/acme/app:1.1.0'), own, 'IMAGE_MISMATCH')
  t.ok(line.includes('ghcr.io/other/thing') && line.includes('ghcr.io/acme/app'), 'names both images')
  t.equal(fs.readFileSync(own, 'utf8'), input)
})

t.test('one unreadable occurrence refuses the file, naming its line', async (t) => {
  const dir = tmpDir(t)
  const input = 'api:\n  image: ghcr.io/acme/app:1.0.0 # infra-sync: ghcr.io/acme/app\nworker:\n  image: ghcr.io/acme/app:1.0.0@sha256:bad # infra-sync: ghcr.io/acme/app\n'
  const file = write(dir, 'values.yaml', input)
  const line = refusal(t, run(dir, 'set-image', file, 'ghcr.io/acme/app:1.1.0'), file, 'INVALID_IMAGE_REF')
  t.ok(line.includes('line 4'), 'names the line')
  t.equal(fs.readFileSync(file, 'utf8'), input, 'the readable one is not changed either')
})

t.test('a file that does not set the image names the image', async (t) => {
  const dir = tmpDir(t)
  for (const [name, text] of [
    ['values.yaml', 'replicaCount: 1\n'],
    ['deployment.yaml', 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - image: nginx:1\n'],
    ['kustomization.yaml', 'images:\n  - name: ghcr.io/acme/app\n    newName: mirror.internal/acme/app\n'],
  ]) {
    const file = write(dir, name!, text!)
    const line = refusal(t, run(dir, 'set-image', file, 'ghcr.io/acme/app:1.1.0'), file, 'IMAGE_NOT_FOUND')
    t.ok(line.includes('ghcr.io/acme/app'), `${name}: names the image`)
    t.equal(fs.readFileSync(file, 'utf8'), text, `${name}: untouched`)
  }
  const file = path.join(dir, 'values.yaml')
  refusal(t, run(dir, 'set-image', file, 'not a ref:1'), file, 'INVALID_IMAGE_REF')
  const notes = write(dir, 'notes.txt', 'image: ghcr.io/acme/app:1\n')
  refusal(t, run(dir, 'set-image', notes, 'ghcr.io/acme/app:1.1.0'), notes, 'UNKNOWN_FORMAT')
  const kustomization = path.join(dir, 'kustomization.yaml')
  refusal(t, run(dir, 'set-image', kustomization, 'ghcr.io/acme/app:1.1.0', '--key', 'image.tag', '--format', 'kustomize'), kustomization, 'INVALID_INPUT')
})
