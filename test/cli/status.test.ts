import t from 'tap'
import { commits } from '../helpers/git-cli.js'
import { exampleInfraFiles } from '../helpers/server.js'
import { FALLBACK } from '../helpers/sign.js'
import { runCli as cli, serveOnRemote } from '../helpers/cli-rig.js'

/**
 * `infra-sync status` as an operator runs it: a real process against a real
 * server (`node dist/cli.js serve`) on a real remote, after source CI told it
 * of a build with `infra-sync notify`. Exit 0 done, 1 refused or failed, 2 usage.
 */
const ADMIN = 'status-admin-token-0123456789abcdef'


t.test('status', async (t) => {
  const { bare, server } = await serveOnRemote(t, { adminToken: ADMIN, files: {
    ...exampleInfraFiles(),
    'services/web-frontend/infra-sync.yaml': 'source: acme/web\nimage: ghcr.io/acme/web-frontend\npolicy: semver:^2.0.0\nenvironments:\n  dev: { path: overlays/dev, update: commit }\n  prod: { path: overlays/prod, update: commit, pin: "2.2.4" }\n',
  } })
  const admin = { INFRA_SYNC_ADMIN_TOKEN: ADMIN }

  const sent = await cli(['notify', '--server', server.url, '--source', 'acme/orders-api', '--image', 'ghcr.io/acme/orders-api', '--ref', 'refs/heads/main',
    '--tag', '1.5.0', '--commit', 'a'.repeat(40), '--wait'], { INFRA_SYNC_SECRET: FALLBACK })
  t.equal(sent.code, 0, sent.stderr)
  const [head] = commits(bare)

  t.test('a table: a line per service × environment with value, since, by, pin, mode, policy, open PR', async (t) => {
    const run = await cli(['status', '--server', server.url], admin)
    t.equal(run.code, 0, run.stderr)
    const lines = run.stdout.trimEnd().split('\n')
    t.match(lines[0], /^SERVICE\s+ENV\s+VALUE\s+SINCE\s+BY\s+PIN\s+MODE\s+POLICY\s+OPEN PR$/)
    const line = (service: string, env: string) => lines.find((l) => new RegExp(`^${service}\\s+${env}\\s`).test(l))
    t.match(line('orders-api', 'dev'), new RegExp(`^orders-api\\s+dev\\s+1\\.5\\.0\\s+\\d{4}-\\d\\d-\\d\\dT\\S+Z\\s+${head!.sha.slice(0, 12)}\\s+-\\s+commit\\s+semver\\s+-$`))
    t.match(line('orders-api', 'prod'), /^orders-api\s+prod\s+1\.4\.1\s+-\s+not infra-sync\s+-\s+pull-request\s+semver:>=1\.0\.0\s+-$/)
    t.match(line('web-frontend', 'prod'), /^web-frontend\s+prod\s+2\.2\.4\s+-\s+not infra-sync\s+2\.2\.4\s+commit\s/, 'pinned in infra-sync.yaml')
    t.ok(line('payments-worker', 'staging'), 'every service is listed')
  })

  t.test('SERVICE narrows it; --json prints the rows; INFRA_SYNC_SERVER stands in for --server', async (t) => {
    const run = await cli(['status', 'orders-api', '--json'], { ...admin, INFRA_SYNC_SERVER: server.url })
    t.equal(run.code, 0, run.stderr)
    const rows = JSON.parse(run.stdout)
    t.same(rows.map((r: { environment: string }) => r.environment), ['dev', 'prod'])
    t.match(rows[0], { service: 'orders-api', environment: 'dev', value: '1.5.0', recorded: true, commit: head!.sha, sourceCommit: 'a'.repeat(40), update: 'commit', policy: 'semver' })
    t.match(rows[1], { environment: 'prod', value: '1.4.1', recorded: false, update: 'pull-request' })
  })

  t.test("the server's refusal exits 1 with its code; the token is never printed", async (t) => {
    const nobody = await cli(['status', 'nobody', '--server', server.url], admin)
    t.equal(nobody.code, 1)
    t.match(nobody.stderr, /\[SERVICE_NOT_FOUND\]/)
    const wrong = await cli(['status', '--server', server.url], { INFRA_SYNC_ADMIN_TOKEN: 'not-the-admin-token-0123456789' })
    t.equal(wrong.code, 1)
    t.match(wrong.stderr, /\[ADMIN_UNAUTHORIZED\]/)
    t.notOk(wrong.stderr.includes('not-the-admin-token'), 'the token is never printed')
    const missing = await cli(['status', '--server', server.url])
    t.equal(missing.code, 1)
    t.match(missing.stderr, /\[ADMIN_UNAUTHORIZED\]/)
  })

  t.test('usage errors exit 2 before anything is sent', async (t) => {
    for (const args of [[], ['orders-api'], ['--server', 'not a url'], ['../x', '--server', server.url]]) {
      const run = await cli(['status', ...args], admin)
      t.equal(run.code, 2, args.join(' '))
      t.match(run.stderr, /\[USAGE\]/, args.join(' '))
    }
    t.equal((await cli(['status', 'a', 'b', '--server', server.url], admin)).code, 2, 'two services is commander usage')
  })
})
