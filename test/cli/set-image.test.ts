import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { CLI } from '../helpers/child-server.js'
import { tmpDir } from '../helpers/tmp.js'

const run = (cwd: string, ...args: string[]) => spawnSync(process.execPath, [CLI, ...args], { cwd, encoding: 'utf8' })
const K = `apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\n# keep this\r\nimages:\r\n  - name: ghcr.io/acme/orders-api # app\r\n    newTag: "1.4.1"\r\n`

t.test('edits in place, changing only the value', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'kustomization.yaml')
  fs.writeFileSync(file, K, { mode: 0o640 })
  const r = run(dir, 'set-image', file, 'ghcr.io/acme/orders-api:1.4.2')
  t.equal(r.status, 0, r.stderr)
  t.equal(fs.readFileSync(file, 'utf8'), K.replace('"1.4.1"', '"1.4.2"'))
  t.match(r.stderr, /1\.4\.1 → 1\.4\.2/)
  t.equal((fs.statSync(file).mode & 0o777).toString(8), '640', 'file mode kept')
  t.same(fs.readdirSync(dir), ['kustomization.yaml'], 'no temporary file left')
  const again = run(dir, 'set-image', file, 'ghcr.io/acme/orders-api:1.4.2')
  t.equal(again.status, 0)
  t.match(again.stderr, /already 1\.4\.2/)
})

t.test('tag and digest, and --dry-run prints without writing', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'kustomization.yaml')
  fs.writeFileSync(file, K)
  const digest = `sha256:${'d'.repeat(64)}`
  const r = run(dir, 'set-image', file, `ghcr.io/acme/orders-api:2.0.0@${digest}`, '--dry-run')
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, K.replace('"1.4.1"\r\n', `"2.0.0"\r\n    digest: ${digest}\r\n`))
  t.equal(fs.readFileSync(file, 'utf8'), K, 'the file is untouched')
})

t.test('adds an entry the way kustomize edit set image does', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'kustomization.yaml')
  fs.writeFileSync(file, 'resources:\n- deployment.yaml\n')
  t.equal(run(dir, 'set-image', file, 'nginx:1.27').status, 0)
  t.equal(fs.readFileSync(file, 'utf8'), 'resources:\n- deployment.yaml\nimages:\n- name: nginx\n  newTag: "1.27"\n')
})

t.test('clear errors and a non-zero exit', async (t) => {
  const dir = tmpDir(t)
  const file = path.join(dir, 'kustomization.yaml')
  fs.writeFileSync(file, K)
  fs.writeFileSync(path.join(dir, 'values.yaml'), 'image: {}\n')
  fs.writeFileSync(path.join(dir, 'notes.txt'), 'image: nginx:1\n')
  fs.writeFileSync(path.join(dir, 'kustomization.yml'), 'images: [unclosed\n')
  const cases: [string[], number, RegExp][] = [
    [['set-image', file, 'ghcr.io/acme/orders-api'], 1, /\[INVALID_INPUT\]/],
    [['set-image', file, 'Not:A:Ref'], 1, /\[INVALID_IMAGE_REF\]/],
    [['set-image', path.join(dir, 'missing.yaml'), 'nginx:1'], 1, /\[FILE_UNREADABLE\]/],
    [['set-image', path.join(dir, 'values.yaml'), 'nginx:1'], 1, /\[IMAGE_NOT_FOUND\]/],
    [['set-image', path.join(dir, 'notes.txt'), 'nginx:1'], 1, /\[UNKNOWN_FORMAT\]/],
    [['set-image', path.join(dir, 'kustomization.yml'), 'nginx:1'], 1, /\[YAML_INVALID\]/],
    [['set-image', file], 2, /missing required argument/],
    [['no-such-command'], 2, /unknown command/],
  ]
  for (const [args, status, stderr] of cases) {
    const r = run(dir, ...args)
    t.equal(r.status, status, args.join(' '))
    t.match(r.stderr, stderr, args.join(' '))
  }
  t.equal(fs.readFileSync(file, 'utf8'), K, 'a failed edit writes nothing')
})

t.test('every format, with --key and --image-policy', async (t) => {
  const dir = tmpDir(t)
  const write = (name: string, text: string) => {
    fs.writeFileSync(path.join(dir, name), text)
    return path.join(dir, name)
  }
  const values = write('values.yaml', 'api:\n  image:\n    tag: "1.0.0" # api\nworker:\n  image:\n    tag: "1.0.0"\n')
  let r = run(dir, 'set-image', values, 'ghcr.io/acme/api:1.1.0', '--key', 'api.image.tag')
  t.equal(r.status, 0, r.stderr)
  t.equal(fs.readFileSync(values, 'utf8'), 'api:\n  image:\n    tag: "1.1.0" # api\nworker:\n  image:\n    tag: "1.0.0"\n')

  const deploy = write('deploy.yaml', 'kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n      - name: web\n        image: nginx:1.25 # web\n')
  r = run(dir, 'set-image', deploy, 'docker.io/library/nginx:1.27')
  t.equal(r.status, 0, r.stderr)
  t.match(fs.readFileSync(deploy, 'utf8'), /image: nginx:1\.27 # web\n/)

  const release = write('release.yaml', 'spec:\n  values:\n    tag: 2.0.0 # {"$imagepolicy": "flux-system:app:tag"}\n')
  r = run(dir, 'set-image', release, 'ghcr.io/acme/app:2.1.0', '--image-policy', 'flux-system:app', '--dry-run')
  t.equal(r.status, 0, r.stderr)
  t.equal(r.stdout, 'spec:\n  values:\n    tag: 2.1.0 # {"$imagepolicy": "flux-system:app:tag"}\n')
  r = run(dir, 'set-image', release, 'ghcr.io/acme/app:2.1.0')
  t.equal(r.status, 1, 'without the mapping the Flux marker names nothing')
  t.match(r.stderr, /\[IMAGE_NOT_FOUND\]/)
})

t.test('a symbolic link is refused, not followed', async (t) => {
  const dir = tmpDir(t)
  const outside = tmpDir(t)
  fs.writeFileSync(path.join(outside, 'kustomization.yaml'), K)
  fs.symlinkSync(path.join(outside, 'kustomization.yaml'), path.join(dir, 'kustomization.yaml'))
  const r = run(dir, 'set-image', path.join(dir, 'kustomization.yaml'), 'ghcr.io/acme/orders-api:9.9.9')
  t.equal(r.status, 1)
  t.match(r.stderr, /\[PATH_UNSAFE\]/)
  t.equal(fs.readFileSync(path.join(outside, 'kustomization.yaml'), 'utf8'), K)
})
