import t from 'tap'
import { commits } from '../helpers/git-cli.js'
import { FALLBACK } from '../helpers/sign.js'
import { runCli as cli, serveOnRemote } from '../helpers/cli-rig.js'

/**
 * `infra-sync history` as an operator runs it: a real process against a real
 * server (`node dist/cli.js serve`) on a real remote, after source CI told it
 * of two builds with `infra-sync notify`. Exit 0 done, 1 refused or failed, 2 usage.
 */
const ADMIN = 'history-admin-token-0123456789abcdef'


t.test('history', async (t) => {
  const { bare, server } = await serveOnRemote(t, { adminToken: ADMIN })
  const admin = { INFRA_SYNC_ADMIN_TOKEN: ADMIN }

  const builds = [
    { tag: '1.5.0', commit: 'a'.repeat(40), buildUrl: 'https://ci.example/acme/orders-api/runs/150' },
    { tag: '1.6.0', commit: 'b'.repeat(40), buildUrl: 'https://ci.example/acme/orders-api/runs/160' },
  ]
  for (const b of builds) {
    const sent = await cli(['notify', '--server', server.url, '--source', 'acme/orders-api', '--image', 'ghcr.io/acme/orders-api', '--ref', 'refs/heads/main',
      '--tag', b.tag, '--commit', b.commit, '--build-url', b.buildUrl, '--wait'], { INFRA_SYNC_SECRET: FALLBACK })
    t.equal(sent.code, 0, sent.stderr)
  }
  const [newest, older] = commits(bare)

  t.test('a table, newest first, with source commit, build URL and the infra commit', async (t) => {
    const run = await cli(['history', 'orders-api', '--server', server.url], admin)
    t.equal(run.code, 0, run.stderr)
    const lines = run.stdout.trimEnd().split('\n')
    t.match(lines[0], /^WHEN\s+ENV\s+CHANGE\s+SOURCE COMMIT\s+DELIVERED\s+BUILD$/)
    t.equal(lines.length, 3, 'a header and a row per deployment')
    t.match(lines[1], new RegExp(`\\bdev\\s+1\\.5\\.0 → 1\\.6\\.0\\s+${'b'.repeat(12)}\\s+${newest!.sha.slice(0, 12)}\\s+${builds[1]!.buildUrl}$`))
    t.match(lines[2], new RegExp(`\\bdev\\s+1\\.4\\.1 → 1\\.5\\.0\\s+${'a'.repeat(12)}\\s+${older!.sha.slice(0, 12)}\\s+${builds[0]!.buildUrl}$`))
  })

  t.test('--json prints the rows; --env and --limit narrow them; INFRA_SYNC_SERVER stands in for --server', async (t) => {
    const run = await cli(['history', 'orders-api', '--env', 'dev', '--limit', '1', '--json'], { ...admin, INFRA_SYNC_SERVER: server.url })
    t.equal(run.code, 0, run.stderr)
    const rows = JSON.parse(run.stdout)
    t.equal(rows.length, 1)
    t.match(rows[0], { service: 'orders-api', environment: 'dev', from: '1.5.0', to: '1.6.0', source: 'acme/orders-api', sourceCommit: 'b'.repeat(40), buildUrl: builds[1]!.buildUrl, commit: newest!.sha, kind: 'deploy' })
    const prod = await cli(['history', 'orders-api', '--env', 'prod', '--server', server.url, '--json'], admin)
    t.equal(prod.code, 0, prod.stderr)
    t.same(JSON.parse(prod.stdout), [], 'nothing reached prod (its pull requests need a forge)')
    const none = await cli(['history', 'nobody', '--server', server.url], admin)
    t.equal(none.code, 0, none.stderr)
    t.equal(none.stdout, '', 'no rows: no table')
  })

  t.test("the server's refusal exits 1 with its code; the token is never printed", async (t) => {
    const wrong = await cli(['history', 'orders-api', '--server', server.url], { INFRA_SYNC_ADMIN_TOKEN: 'not-the-admin-token-0123456789' })
    t.equal(wrong.code, 1)
    t.match(wrong.stderr, /\[ADMIN_UNAUTHORIZED\]/)
    t.notOk(wrong.stderr.includes('not-the-admin-token'), 'the token is never printed')
    const missing = await cli(['history', 'orders-api', '--server', server.url])
    t.equal(missing.code, 1)
    t.match(missing.stderr, /\[ADMIN_UNAUTHORIZED\]/)
  })

  t.test('usage errors exit 2 before anything is sent', async (t) => {
    for (const args of [['orders-api'], ['orders-api', '--server', 'not a url'], ['orders-api', '--server', server.url, '--limit', '0'], ['orders-api', '--server', server.url, '--limit', 'ten'], ['../x', '--server', server.url], ['orders-api', '--server', server.url, '--env', 'a b']]) {
      const run = await cli(['history', ...args], admin)
      t.equal(run.code, 2, args.join(' '))
      t.match(run.stderr, /\[USAGE\]/, args.join(' '))
    }
    t.equal((await cli(['history'], admin)).code, 2, 'a missing SERVICE is commander usage')
  })
})
