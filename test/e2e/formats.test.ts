import t from 'tap'
import { commits, git, makeBareRepo, show } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { sendAndSettle, startTestServer } from '../helpers/server.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * The service uses the same editors as set-image, for every format, against a
 * real remote: a Helm chart with values per environment and a key, a folder of
 * plain manifests, and a HelmRelease with Flux setter markers mapped through
 * infra-sync.yaml. The real git CLI checks that only the values changed.
 */
const VALUES_DEV = `# values for dev
api:
  replicas: 1
  image:
    repository: ghcr.io/acme/chart   # the API
    tag: "2.0.0"

  # a comment between entries
worker:
  image:
    repository: ghcr.io/acme/chart
    tag: "2.0.0" # not under the key: left alone
`
const VALUES_PROD = VALUES_DEV.replace('values for dev', 'values for prod').replace('replicas: 1', 'replicas: 3')
const DEPLOYMENT = `apiVersion: apps/v1
kind: Deployment
metadata:
  name: plain
spec:
  template:
    spec:
      containers:
      - name: app
        image: ghcr.io/acme/plain:1.0.0 # app
      - name: envoy
        image: envoyproxy/envoy:v1.30.0
`
const SERVICE = 'apiVersion: v1\nkind: Service\nmetadata:\n  name: plain\n'
const RELEASE = `apiVersion: helm.toolkit.fluxcd.io/v2
kind: HelmRelease
metadata:
  name: fluxed
spec:
  values:
    image:
      repository: ghcr.io/acme/fluxed # {"$imagepolicy": "flux-system:fluxed:name"}
      tag: 3.1.0 # {"$imagepolicy": "flux-system:fluxed:tag"}
`

const files = {
  'services/chart/infra-sync.yaml': [
    'source: acme/chart',
    'image: ghcr.io/acme/chart',
    'policy: semver',
    'format: helm',
    'key: api.image',
    'environments:',
    '  dev: { path: ., file: values-dev.yaml }',
    '  prod: { path: ., file: values-prod.yaml }',
    '',
  ].join('\n'),
  'services/chart/Chart.yaml': 'apiVersion: v2\nname: chart\nversion: 0.1.0\n',
  'services/chart/values-dev.yaml': VALUES_DEV,
  'services/chart/values-prod.yaml': VALUES_PROD,
  'services/plain/infra-sync.yaml': 'source: acme/plain\nimage: ghcr.io/acme/plain\npolicy: semver\n',
  'services/plain/overlays/dev/deployment.yaml': DEPLOYMENT,
  'services/plain/overlays/dev/service.yaml': SERVICE,
  'services/plain/overlays/prod/service.yaml': SERVICE,
  'services/fluxed/infra-sync.yaml': 'source: acme/fluxed\nimage: ghcr.io/acme/fluxed\npolicy: semver\nimagePolicies: [flux-system:fluxed]\n',
  'services/fluxed/overlays/dev/release.yaml': RELEASE,
}

t.test('Helm values, plain manifests and Flux markers, through the service and a real remote', async (t) => {
  const dir = tmpDir(t)
  const bare = makeBareRepo(dir, files)
  const gitServer = await startGitServer(bare)
  t.teardown(() => gitServer.close())
  const server = await startTestServer(t, { location: gitServer.url, kind: 'http' })
  const send = (source: string, tag: string) => sendAndSettle(t, server, source, tag)
  const before = git(bare, 'rev-parse', 'main').trim()

  const chart = await send('acme/chart', '2.1.0')
  t.equal(chart.status, 'applied')
  t.equal(show(bare, 'main', 'services/chart/values-dev.yaml'), VALUES_DEV.replace('tag: "2.0.0"\n\n', 'tag: "2.1.0"\n\n'))
  t.equal(show(bare, 'main', 'services/chart/values-prod.yaml'), VALUES_PROD.replace('tag: "2.0.0"\n\n', 'tag: "2.1.0"\n\n'))

  const plain = await send('acme/plain', '1.1.0')
  t.equal(plain.status, 'applied')
  t.equal(show(bare, 'main', 'services/plain/overlays/dev/deployment.yaml'), DEPLOYMENT.replace('plain:1.0.0', 'plain:1.1.0'))
  const prod = plain.targets.find((x) => x.environment === 'prod')!
  t.equal(prod.decision, 'skip')
  t.equal(prod.code, 'image-not-found', 'a folder whose files do not deploy the image says so')

  const fluxed = await send('acme/fluxed', '3.2.0')
  t.equal(fluxed.status, 'applied')
  t.equal(show(bare, 'main', 'services/fluxed/overlays/dev/release.yaml'), RELEASE.replace('tag: 3.1.0', 'tag: 3.2.0'))

  t.equal(commits(bare).length, 4, 'one commit per event')
  const numstat = git(bare, 'diff', '--numstat', before, 'main').trim().split('\n').sort()
  t.same(numstat, [
    '1\t1\tservices/chart/values-dev.yaml',
    '1\t1\tservices/chart/values-prod.yaml',
    '1\t1\tservices/fluxed/overlays/dev/release.yaml',
    '1\t1\tservices/plain/overlays/dev/deployment.yaml',
  ])
  git(bare, 'fsck', '--strict', '--no-dangling')
})
