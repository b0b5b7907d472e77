import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** Every Prometheus metric infra-sync exposes on /metrics, in one registry per process. */
export class Metrics {
  readonly registry = new Registry()
  readonly eventsReceived = new Counter({ name: 'infra_sync_events_received_total', help: 'Events answered by the intake, by result', labelNames: ['result'], registers: [this.registry] })
  readonly eventsFinished = new Counter({ name: 'infra_sync_events_finished_total', help: 'Events that reached a status, by status', labelNames: ['status'], registers: [this.registry] })
  readonly pushes = new Counter({ name: 'infra_sync_pushes_total', help: 'Push attempts to the infra repo, by result', labelNames: ['result'], registers: [this.registry] })
  readonly commits = new Counter({ name: 'infra_sync_commits_total', help: 'Commits that reached the infra repo', registers: [this.registry] })
  readonly eventToCommit = new Histogram({
    name: 'infra_sync_event_to_commit_seconds',
    help: 'From accepting an event to its commit being on the remote',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  })
  readonly batchSize = new Histogram({ name: 'infra_sync_batch_events', help: 'Events per worker batch', buckets: [1, 2, 5, 10, 50, 100, 500], registers: [this.registry] })
  readonly pending = new Gauge({ name: 'infra_sync_events_pending', help: 'Events waiting to be applied (queued or failed)', registers: [this.registry] })

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry })
  }
}
