import { execFileSync } from 'node:child_process'
import t from 'tap'
import type { FileEdit, PendingEvent } from '../../src/core/change-set.js'
import { commitMessage, eventIdsIn } from '../../src/plan/commit-message.js'

const ev = (id: string, over: object = {}): PendingEvent => ({
  id,
  receivedAt: '2026-11-25T10:00:00.000Z',
  event: { source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag: '1.4.2', commit: '9fceb02d0ae598e95dc970b74767f19372d61af8', ref: 'refs/heads/main', buildUrl: 'https://ci.example/runs/123', ...over },
})
const change = (eventId: string, service: string, environment: string, from: string | undefined, to: string) => ({ eventId, service, environment, image: `ghcr.io/acme/${service}`, ...(from && { from }), to, builtAt: '2026-11-25T10:00:00.000Z' })
const edit = (path: string, ...changes: ReturnType<typeof change>[]): FileEdit => ({ path, before: '', after: '', changes })

t.test('one change: the subject of DESIGN.md, a body with source and build, trailers git can parse', async (t) => {
  const events = new Map([['E1', ev('E1')]])
  const msg = commitMessage([edit('services/orders-api/overlays/dev/kustomization.yaml', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2'))], events)
  t.equal(msg.split('\n')[0], 'deploy(orders-api/dev): 1.4.1 → 1.4.2')
  t.match(msg, /source acme\/orders-api@9fceb02d0ae5 \(refs\/heads\/main\)/)
  t.match(msg, /build https:\/\/ci\.example\/runs\/123/)
  const trailers = execFileSync('git', ['interpret-trailers', '--parse'], { input: msg, encoding: 'utf8' })
  t.equal(trailers, 'Infra-Sync-Event: E1\nSource-Commit: acme/orders-api@9fceb02d0ae598e95dc970b74767f19372d61af8\n')
  t.same(eventIdsIn(msg), ['E1'])
})

t.test('subjects for several changes', async (t) => {
  const events = new Map([
    ['E1', ev('E1')],
    ['E2', ev('E2', { source: 'acme/web', commit: 'b'.repeat(40) })],
  ])
  const same = commitMessage([edit('a', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2')), edit('b', change('E1', 'orders-api', 'staging', '1.4.1', '1.4.2'))], events)
  t.equal(same.split('\n')[0], 'deploy(orders-api/dev,staging): 1.4.1 → 1.4.2')
  const mixedFrom = commitMessage([edit('a', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2')), edit('b', change('E1', 'orders-api', 'staging', undefined, '1.4.2'))], events)
  t.equal(mixedFrom.split('\n')[0], 'deploy(orders-api/dev,staging): → 1.4.2')
  const twoFiles = commitMessage([edit('api.yaml', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2')), edit('worker.yaml', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2'))], events)
  t.equal(twoFiles.split('\n')[0], 'deploy(orders-api/dev): 1.4.1 → 1.4.2', 'one environment in two files is named once')
  const many = commitMessage([edit('a', change('E1', 'orders-api', 'dev', '1.4.1', '1.4.2')), edit('b', change('E2', 'web', 'dev', '2.0.0', '2.1.0'))], events)
  t.equal(many.split('\n')[0], 'deploy: 2 updates to 2 services')
  const trailers = execFileSync('git', ['interpret-trailers', '--parse'], { input: many, encoding: 'utf8' })
  t.match(trailers, /Infra-Sync-Event: E1\nInfra-Sync-Event: E2\n/)
  t.match(trailers, /Source-Commit: acme\/web@b{40}/)
})

t.test('a new entry reads as unset', async (t) => {
  const msg = commitMessage([edit('a', change('E1', 'orders-api', 'dev', undefined, '1.4.2'))], new Map([['E1', ev('E1')]]))
  t.equal(msg.split('\n')[0], 'deploy(orders-api/dev): unset → 1.4.2')
})
