import t from 'tap'
import { commits, show } from '../helpers/git-cli.js'
import { FALLBACK } from '../helpers/sign.js'
import { runCli as cli, serveOnRemote } from '../helpers/cli-rig.js'

/**
 * `infra-sync rollback` and `unpin` as an operator runs them: real processes
 * (`node dist/cli.js serve`, `notify`, `rollback`, `unpin`, `history`) on a
 * real remote. Two builds, a rollback to the first (a commit carrying the
 * rollback's event, a history row of kind rollback), a newer build held by
 * the pin, then unpin and the next build applies.
 */
const ADMIN = 'rollback-admin-token-0123456789abcdef'
const DEV = 'services/orders-api/overlays/dev/kustomization.yaml'


t.test('rollback, a newer build held by its pin, unpin, the next build applies', async (t) => {
  const { bare, server } = await serveOnRemote(t, { adminToken: ADMIN })
  const admin = { INFRA_SYNC_ADMIN_TOKEN: ADMIN }
  const notify = (tag: string) =>
    cli(['notify', '--server', server.url, '--source', 'acme/orders-api', '--image', 'ghcr.io/acme/orders-api', '--ref', 'refs/heads/main', '--tag', tag, '--commit', tag.at(-1)!.repeat(40), '--wait', '--json'], { INFRA_SYNC_SECRET: FALLBACK })
  const devTag = () => /newTag: (\S+)/.exec(show(bare, 'main', DEV))![1]

  for (const tag of ['1.5.1', '1.5.2']) {
    const sent = await notify(tag)
    t.equal(sent.code, 0, sent.stderr)
    t.equal(JSON.parse(sent.stdout).status, 'applied', tag)
  }
  t.equal(devTag(), '1.5.2')

  const rolled = await cli(['rollback', 'orders-api', 'dev', '--server', server.url, '--wait', '--json', '--force'], admin)
  t.equal(rolled.code, 0, rolled.stderr)
  const event = JSON.parse(rolled.stdout)
  t.match(event, { status: 'applied', targets: [{ service: 'orders-api', environment: 'dev', from: '1.5.2', to: '1.5.1', status: 'applied' }] })
  t.equal(devTag(), '1.5.1', 'the file is back at the build before')
  const [head] = commits(bare)
  t.same(head!.events, [event.id], "the commit carries the rollback's event")
  t.match(head!.subject, /^rollback\(orders-api\/dev\): 1\.5\.2 → 1\.5\.1/)
  const history = await cli(['history', 'orders-api', '--env', 'dev', '--limit', '1', '--json', '--server', server.url], admin)
  t.equal(history.code, 0, history.stderr)
  t.match(JSON.parse(history.stdout), [{ from: '1.5.2', to: '1.5.1', kind: 'rollback', commit: head!.sha, sourceCommit: '1'.repeat(40) }], 'recorded as a rollback of the first build')

  const held = await notify('1.5.3')
  // prod (pull requests, no forge here) makes notify exit 1; dev's pinned skip is the pipeline working.
  t.match(JSON.parse(held.stdout), { status: 'skipped', targets: [{ environment: 'dev', code: 'pinned', status: 'skipped' }, { environment: 'prod', code: 'pull-request-unavailable' }] })
  t.equal(devTag(), '1.5.1', 'still pinned')

  const unpinned = await cli(['unpin', 'orders-api', 'dev', '--json'], { ...admin, INFRA_SYNC_SERVER: server.url })
  t.equal(unpinned.code, 0, unpinned.stderr)
  t.match(JSON.parse(unpinned.stdout), { removed: { service: 'orders-api', environment: 'dev', value: '1.5.1', kind: 'rollback' } })
  t.equal(devTag(), '1.5.1', 'unpinning applies nothing by itself')
  const again = await cli(['unpin', 'orders-api', 'dev', '--server', server.url], admin)
  t.equal(again.code, 1)
  t.match(again.stderr, /\[PIN_NOT_FOUND\]/)

  const next = await notify('1.5.4')
  t.equal(next.code, 0, next.stderr)
  t.equal(JSON.parse(next.stdout).status, 'applied')
  t.equal(devTag(), '1.5.4', 'the next build applies')
})

t.test('refusals exit 1 with the server code, usage exits 2 before anything is sent', async (t) => {
  const { server } = await serveOnRemote(t, { adminToken: ADMIN })
  const nothing = await cli(['rollback', 'orders-api', 'dev', '--server', server.url], { INFRA_SYNC_ADMIN_TOKEN: ADMIN })
  t.equal(nothing.code, 1)
  t.match(nothing.stderr, /\[NOTHING_TO_ROLL_BACK\]/)
  const wrong = await cli(['rollback', 'orders-api', 'dev', '--server', server.url, '--to', '1.4.0'], { INFRA_SYNC_ADMIN_TOKEN: 'not-the-admin-token-0123456789' })
  t.equal(wrong.code, 1)
  t.match(wrong.stderr, /\[ADMIN_UNAUTHORIZED\]/)
  t.notOk(wrong.stderr.includes('not-the-admin-token'), 'the token is never printed')
  for (const args of [['rollback', 'orders-api', 'dev'], ['rollback', '../x', 'dev', '--server', server.url], ['rollback', 'orders-api', 'a b', '--server', server.url], ['unpin', 'orders-api', 'dev', '--server', 'not a url'], ['rollback', 'orders-api', 'dev', '--server', server.url, '--timeout', 'soon']]) {
    const run = await cli(args, { INFRA_SYNC_ADMIN_TOKEN: ADMIN })
    t.equal(run.code, 2, args.join(' '))
    t.match(run.stderr, /\[USAGE\]/, args.join(' '))
  }
  t.equal((await cli(['unpin', 'orders-api'], { INFRA_SYNC_ADMIN_TOKEN: ADMIN })).code, 2, 'a missing ENV is commander usage')
})
