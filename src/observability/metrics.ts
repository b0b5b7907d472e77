import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

/** What the worker reports; it may run on another thread, so it reports through this, not prom-client. */
export interface WorkerMetrics {
  batch(events: number): void
  /** The worker thread's own V8 heap, which the main thread's default metrics do not see. */
  heap(bytes: number): void
  push(result: 'ok' | 'rejected' | 'error'): void
  commit(): void
  eventToCommit(seconds: number): void
  finished(status: string): void
  /** The remote circuit opened (true) or closed (false). */
  circuit(open: boolean): void
  /** API requests sent to the forge since the last report. */
  forgeRequests?(count: number): void
}

/** Every Prometheus metric infra-sync exposes on /metrics, in one registry per process. */
export class Metrics implements WorkerMetrics {
  readonly registry = new Registry()
  readonly eventsReceived = new Counter({ name: 'infra_sync_events_received_total', help: 'Events answered by the intake, by result', labelNames: ['result'], registers: [this.registry] })
  readonly eventsFinished = new Counter({ name: 'infra_sync_events_finished_total', help: 'Events that reached a status, by status', labelNames: ['status'], registers: [this.registry] })
  readonly pushes = new Counter({ name: 'infra_sync_pushes_total', help: 'Push attempts to the infra repo, by result', labelNames: ['result'], registers: [this.registry] })
  readonly commits = new Counter({ name: 'infra_sync_commits_total', help: 'Commits that reached the infra repo', registers: [this.registry] })
  readonly eventToCommitSeconds = new Histogram({
    name: 'infra_sync_event_to_commit_seconds',
    help: 'From accepting an event to its commit being on the remote',
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  })
  readonly batchSize = new Histogram({ name: 'infra_sync_batch_events', help: 'Events per worker batch', buckets: [1, 2, 5, 10, 50, 100, 500], registers: [this.registry] })
  readonly httpDuration = new Histogram({
    name: 'infra_sync_http_request_duration_seconds',
    help: 'HTTP requests, from arrival to the response being written, by route and status',
    labelNames: ['method', 'route', 'status'],
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  })
  readonly workerHeap = new Gauge({ name: 'infra_sync_worker_heap_used_bytes', help: "The worker thread's V8 heap in use, after its last batch", registers: [this.registry] })
  readonly circuitOpen = new Gauge({ name: 'infra_sync_remote_circuit_open', help: '1 while the infra repo remote keeps failing and the worker waits before trying it again', registers: [this.registry] })
  readonly forgeRequestsTotal = new Counter({ name: 'infra_sync_forge_requests_total', help: "API requests sent to the forge (GitHub): pull requests, reports, tokens", registers: [this.registry] })
  readonly pending = new Gauge({ name: 'infra_sync_events_pending', help: 'Events waiting to be applied (queued or failed)', registers: [this.registry] })

  constructor(defaults = true) {
    if (defaults) collectDefaultMetrics({ register: this.registry })
  }

  batch(events: number): void {
    this.batchSize.observe(events)
  }

  heap(bytes: number): void {
    this.workerHeap.set(bytes)
  }

  push(result: 'ok' | 'rejected' | 'error'): void {
    this.pushes.inc({ result })
  }

  commit(): void {
    this.commits.inc()
  }

  eventToCommit(seconds: number): void {
    this.eventToCommitSeconds.observe(seconds)
  }

  finished(status: string): void {
    this.eventsFinished.inc({ status })
  }

  circuit(open: boolean): void {
    this.circuitOpen.set(open ? 1 : 0)
  }

  forgeRequests(count: number): void {
    this.forgeRequestsTotal.inc(count)
  }
}
