import type { Test } from 'tap'
import type { BuildEvent } from '../../src/core/build-event.js'
import type { TargetOutcome } from '../../src/core/change-set.js'
import type { Deployment, Store } from '../../src/store/store.js'

const IMAGE = 'ghcr.io/acme/orders-api'
const sha = (c: string) => c.repeat(40)

const dep = (service: string, environment: string, tag: string, over: Partial<Deployment> = {}): Deployment => ({
  eventId: `e-${service}-${environment}-${tag}`,
  service,
  environment,
  image: IMAGE,
  from: '0.9.0',
  to: tag,
  tag,
  builtAt: '2026-11-25T09:00:00.000Z',
  commit: sha('c'),
  appliedAt: '2026-11-25T10:00:00.000Z',
  ...over,
})

/** The Store contract for deployment history: what a row carries, newest first, filters and paging. */
export function deploymentsContract(t: Test, name: string, open: (t: Test) => Promise<Store>): void {
  t.test(`${name}: deployments reads history newest first, filtered by service and environment, paged by seq`, async (t) => {
    const store = await open(t)
    t.same(await store.deployments({ limit: 10 }), [], 'an empty history')
    const origin = { source: 'acme/orders-api', sourceCommit: sha('5'), buildUrl: 'https://ci.example/run/1' }
    await store.finish([], [dep('orders', 'dev', '1.0.0', origin), dep('orders', 'prod', '1.0.0')], new Date())
    await store.finish([], [dep('orders', 'dev', '1.1.0', { kind: 'rollback' }), dep('billing', 'dev', '2.0.0')], new Date())

    const all = await store.deployments({ limit: 10 })
    t.same(all.map((d) => `${d.service}/${d.environment}/${d.tag}`), ['billing/dev/2.0.0', 'orders/dev/1.1.0', 'orders/prod/1.0.0', 'orders/dev/1.0.0'], 'newest first')
    t.ok(all.every((d, i) => i === 0 || d.seq < all[i - 1]!.seq), 'seq falls down the list')
    t.same(all[3], { ...dep('orders', 'dev', '1.0.0', origin), kind: 'deploy', seq: all[3]!.seq }, 'a row reads back as written, a deploy by default')
    t.equal(all[1]!.kind, 'rollback')
    t.notOk('source' in all[2]! || 'pullRequest' in all[2]! || 'mergedBy' in all[2]!, 'what was not given is absent')

    t.same((await store.deployments({ service: 'orders', limit: 10 })).map((d) => d.tag), ['1.1.0', '1.0.0', '1.0.0'])
    t.same((await store.deployments({ service: 'orders', environment: 'dev', limit: 10 })).map((d) => d.tag), ['1.1.0', '1.0.0'])
    t.same((await store.deployments({ environment: 'prod', limit: 10 })).map((d) => d.service), ['orders'])
    t.same(await store.deployments({ service: 'nobody', limit: 10 }), [])

    const first = await store.deployments({ service: 'orders', limit: 2 })
    t.equal(first.length, 2, 'at most the limit')
    const next = await store.deployments({ service: 'orders', limit: 2, before: first[1]!.seq })
    t.same(next.map((d) => `${d.environment}/${d.tag}`), ['dev/1.0.0'], 'the page after the last row seen')
    t.same(await store.deployments({ service: 'orders', limit: 2, before: next[0]!.seq }), [], 'then nothing')
  })

  t.test(`${name}: a merged pull request's rows carry the PR, who merged it, and the build its event came from`, async (t) => {
    const store = await open(t)
    const event: BuildEvent = { source: 'acme/orders-api', image: IMAGE, tag: '1.2.0', ref: 'refs/heads/main', commit: sha('9'), buildUrl: 'https://ci.example/run/7' }
    const { id } = await store.accept({ source: 'acme/orders-api', deliveryId: 'd-1.2.0', event, receivedAt: new Date() })
    const pr = { number: 4, url: 'https://github.com/acme/infra/pull/4' }
    const target: TargetOutcome = {
      service: 'orders', environment: 'prod', file: 'services/orders/overlays/prod/kustomization.yaml', image: IMAGE, from: '1.1.0', to: '1.2.0',
      decision: 'update', code: 'updated', reason: '1.1.0 → 1.2.0', update: 'pull-request', status: 'proposed', pullRequest: { ...pr, state: 'open' },
    }
    await store.finish([{ kind: 'final', outcome: { id, status: 'proposed', targets: [target] } }], [], new Date())
    const change = { eventId: id, service: 'orders', environment: 'prod', image: IMAGE, from: '1.1.0', to: '1.2.0', tag: '1.2.0', builtAt: '2026-11-25T10:00:00.000Z' }
    await store.recordProposal(
      {
        service: 'orders', environment: 'prod', image: IMAGE, branch: 'infra-sync/orders/prod', pullRequest: { ...pr, state: 'open' }, headSha: sha('b'), contentKey: 'k',
        value: { tag: '1.2.0', builtAt: change.builtAt, eventId: id }, changes: [change], eventIds: [id], openedAt: '2026-11-25T10:00:00.000Z', updatedAt: '2026-11-25T10:00:00.000Z',
      },
      new Date(),
    )
    await store.endProposal('orders', 'prod', 4, { state: 'merged', mergeCommit: sha('m'), mergedBy: 'octocat', mergedAt: '2026-11-25T11:00:00.000Z' }, new Date())
    const [row, ...rest] = await store.deployments({ service: 'orders', limit: 10 })
    t.same(rest, [])
    t.match(row, {
      eventId: id, environment: 'prod', from: '1.1.0', to: '1.2.0', commit: sha('m'), appliedAt: '2026-11-25T11:00:00.000Z',
      source: 'acme/orders-api', sourceCommit: sha('9'), buildUrl: 'https://ci.example/run/7', pullRequest: pr, mergedBy: 'octocat', kind: 'deploy',
    })
  })
}
