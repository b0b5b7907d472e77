import t from 'tap'
import { readEnvironments, rewriteEnvironments } from '../../src/scaffold/environments-block.js'

const CONFIG = `source: acme/x
image: ghcr.io/acme/x
environments:
  # dev: straight in
  dev:
    update: commit
  # prod: reviewed
  prod:
    path: overlays/prod
    update: pull-request # PR
# after
policy: semver
`

t.test('reads the entries in order', async (t) => {
  t.same(readEnvironments(CONFIG, 'f'), [{ name: 'dev', update: 'commit' }, { name: 'prod', path: 'overlays/prod', update: 'pull-request' }])
  t.equal(readEnvironments('source: a/b\n', 'f'), null)
})

t.test('kept, dropped, reordered and copied entries keep their comments', async (t) => {
  const out = rewriteEnvironments(CONFIG, 'f', [
    { name: 'prod-eu', from: 'prod' },
    { name: 'dev', from: 'dev' },
  ])
  t.equal(
    out,
    `source: acme/x
image: ghcr.io/acme/x
environments:
  # dev: straight in
  # prod: reviewed
  prod-eu:
    path: overlays/prod-eu
    update: pull-request # PR
  dev:
    update: commit
# after
policy: semver
`,
  )
})

t.test('a flow mapping is not edited', async (t) => {
  t.throws(() => rewriteEnvironments('environments: { dev: {} }\n', 'f', [{ name: 'qa', from: 'dev' }]), { code: 'TEMPLATE_INVALID' })
})
