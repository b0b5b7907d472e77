import t from 'tap'
import { git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { sendAndSettle, startTestServer } from '../helpers/server.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * Files that start with a byte-order mark keep it when the service edits
 * them, in every format, against a real remote: the worker reads the file
 * from git, edits it and writes it back through the same decode and encode
 * as set-image. The real git CLI shows the committed bytes.
 */
const BOM = '\uFEFF'
const KUSTOMIZATION = `${BOM}apiVersion: kustomize.config.k8s.io/v1beta1\r\nkind: Kustomization\r\nimages:\r\n  - name: ghcr.io/acme/bom\r\n    newTag: 1.0.0\r\n`
const DEPLOYMENT = `${BOM}kind: Deployment\nspec:\n  template:\n    spec:\n      containers:\n        - name: app\n          image: ghcr.io/acme/bom:1.0.0\n`
const RELEASE = `${BOM}kind: HelmRelease\nspec:\n  values:\n    tag: 1.0.0 # infra-sync: ghcr.io/acme/bom:tag\n`
const VALUES = `${BOM}api:\n  image:\n    repository: ghcr.io/acme/chart\n    tag: "1.0.0"\n`

const files = {
  'services/bom/infra-sync.yaml': [
    'source: acme/bom',
    'image: ghcr.io/acme/bom',
    'policy: semver',
    'environments:',
    '  dev: { path: overlays/dev }',
    '  staging: { path: overlays/staging }',
    '  prod: { path: overlays/prod }',
    '',
  ].join('\n'),
  'services/bom/overlays/dev/kustomization.yaml': KUSTOMIZATION,
  'services/bom/overlays/staging/deployment.yaml': DEPLOYMENT,
  'services/bom/overlays/prod/release.yaml': RELEASE,
  'services/chart/infra-sync.yaml': 'source: acme/chart\nimage: ghcr.io/acme/chart\npolicy: semver\nkey: api.image\nenvironments:\n  dev: { path: ., file: values-dev.yaml }\n',
  'services/chart/values-dev.yaml': VALUES,
}

t.test('a byte-order mark survives the worker in every format', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, files)
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  const send = (source: string, tag: string) => sendAndSettle(t, server, source, tag)

  t.equal((await send('acme/bom', '1.1.0')).status, 'applied')
  t.equal(show(bare, 'main', 'services/bom/overlays/dev/kustomization.yaml'), KUSTOMIZATION.replace('1.0.0', '1.1.0'))
  t.equal(show(bare, 'main', 'services/bom/overlays/staging/deployment.yaml'), DEPLOYMENT.replace('1.0.0', '1.1.0'))
  t.equal(show(bare, 'main', 'services/bom/overlays/prod/release.yaml'), RELEASE.replace('1.0.0', '1.1.0'))

  t.equal((await send('acme/chart', '1.1.0')).status, 'applied')
  t.equal(show(bare, 'main', 'services/chart/values-dev.yaml'), VALUES.replace('1.0.0', '1.1.0'))

  for (const file of ['services/bom/overlays/dev/kustomization.yaml', 'services/chart/values-dev.yaml']) {
    t.equal(git(bare, 'cat-file', 'blob', `main:${file}`).charCodeAt(0), 0xfeff, `${file} starts with the mark`)
  }
  git(bare, 'fsck', '--strict', '--no-dangling')
})
