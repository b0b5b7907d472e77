import os from 'node:os'
import path from 'node:path'
import { coldStarts, type ColdStartResult } from './cold-start.js'
import { generateInfraRepo, serviceImage, serviceName } from './generate-repo.js'
import { addHistory } from './repo-history.js'
import { largePackRepo } from './large-pack.js'
import { eventBody } from './harness.js'
import { median, percentile } from './stats.js'
import { TransportRig, type EventTrace, type Transport } from './transport-rig.js'

/**
 * The two git transports side by side: the built-in smart-HTTP client and
 * the git CLI, on one remote (`git http-backend`) and one repo, events
 * alternating between them (A, B, A, B …) so that the machine's load falls on
 * both alike; then cold starts of a large repo with each.
 */
export const TRANSPORTS: readonly Transport[] = ['builtin', 'cli']

export interface Quantiles {
  readonly p50: number
  readonly p95: number
}

export interface TransportLatency {
  readonly transport: Transport
  readonly n: number
  readonly total: Quantiles
  readonly own: Quantiles
  readonly remote: Quantiles
  /** Requests to the remote per event, median. */
  readonly requests: Readonly<Record<'info-refs' | 'upload-pack' | 'receive-pack', number>>
}

export interface TransportsResult {
  readonly services: number
  readonly warmup: number
  readonly latency: readonly TransportLatency[]
  readonly cold: readonly ColdStartResult[]
  readonly coldHistory: number
  /** One first clone of a repo that is one large pack, per transport (empty when not measured). */
  readonly largePack: readonly ColdStartResult[]
  readonly largePackMiB: number
  /** 1-minute load average at the start and at the end of the scenario, and the cores it is shared by. */
  readonly load: { readonly before: number; readonly after: number; readonly cores: number }
  readonly started: string
}

export interface TransportsSize {
  /** Service folders of the repo the latency is measured on. */
  readonly services: number
  readonly warmup: number
  /** Measured events per transport. */
  readonly events: number
  /** Service folders of the cold-start repo. */
  readonly coldServices: number
  /** Deploy commits on top of the cold-start repo's first commit: what a shallow clone leaves behind. */
  readonly coldHistory: number
  readonly coldRuns: number
  /** Size of the one-pack repo fetched once per transport for peak RSS; 0: not measured. */
  readonly largePackMiB: number
}

const q = (v: readonly number[]): Quantiles => ({ p50: median(v), p95: percentile(v, 95) })

let tagSeq = 1
let clock = 0

function body(i: number): string {
  // Built now and each after the last, as in scenarios.ts: never skipped as older than the value in place.
  clock = Math.max(clock + 1, Date.now())
  return eventBody(serviceName(i), serviceImage(i), `transport-${tagSeq++}`, new Date(clock))
}

function summarise(transport: Transport, traces: readonly EventTrace[]): TransportLatency {
  const reqs = (k: keyof EventTrace['requests']) => median(traces.map((t) => t.requests[k]))
  return {
    transport,
    n: traces.length,
    total: q(traces.map((t) => t.total)),
    own: q(traces.map((t) => t.own)),
    remote: q(traces.map((t) => t.remote)),
    requests: { 'info-refs': reqs('info-refs'), 'upload-pack': reqs('upload-pack'), 'receive-pack': reqs('receive-pack') },
  }
}

/** Event → commit with each transport, alternating, after `warmup` events each (the first clone among them). */
export async function transportLatency(bare: string, dataDir: string, services: number, warmup: number, events: number): Promise<TransportLatency[]> {
  const rig = await TransportRig.start(bare, dataDir, TRANSPORTS)
  try {
    const traces = new Map<Transport, EventTrace[]>(TRANSPORTS.map((t) => [t, []]))
    for (let k = 0; k < warmup + events; k++) {
      // Both lanes edit the same service in turn, each on its own branch.
      const i = (k * 7919) % services
      // Which lane goes first alternates too, so neither always follows the other's push.
      const order = k % 2 === 0 ? rig.lanes : [...rig.lanes].reverse()
      for (const lane of order) {
        const trace = await rig.event(lane, body(i))
        if (k >= warmup) traces.get(lane.transport)!.push(trace)
      }
    }
    return TRANSPORTS.map((t) => summarise(t, traces.get(t)!))
  } finally {
    await rig.stop()
  }
}

export async function transports(work: string, size: TransportsSize, log: (s: string) => void): Promise<TransportsResult> {
  const started = new Date().toISOString()
  const before = os.loadavg()[0]!
  log(`transports: event → commit, ${size.events} events each after ${size.warmup} warm-up, alternating, ${size.services} services`)
  const bare = await generateInfraRepo(path.join(work, 'transports'), size.services)
  const latency = await transportLatency(bare, path.join(work, 'transports-rig'), size.services, size.warmup, size.events)
  for (const l of latency) log(`  ${l.transport}: p50 ${l.total.p50.toFixed(1)} ms, own share p50 ${l.own.p50.toFixed(1)} ms`)
  log(`transports: cold start at ${size.coldServices} services with ${size.coldHistory} commits of history, ${size.coldRuns} runs each`)
  const coldBare = await generateInfraRepo(path.join(work, 'transports-cold'), size.coldServices)
  await addHistory(coldBare, size.coldServices, size.coldHistory)
  const cold = await coldStarts(coldBare, path.join(work, 'transports-cold'), TRANSPORTS, size.coldRuns)
  for (const c of cold) log(`  ${c.transport}: cold start p50 ${c.p50.total.toFixed(0)} ms (sync ${c.p50.sync.toFixed(0)} ms), shallow ${c.shallowRuns}/${c.runs.length}`)
  let largePack: ColdStartResult[] = []
  if (size.largePackMiB > 0) {
    log(`transports: one fetch of a ${size.largePackMiB} MiB pack each`)
    const big = await largePackRepo(path.join(work, 'transports-large'), size.largePackMiB)
    largePack = await coldStarts(big, path.join(work, 'transports-large'), TRANSPORTS, 1)
    for (const c of largePack) log(`  ${c.transport}: ${c.p50.sync.toFixed(0)} ms, peak RSS ${(c.p50.maxRss / 1048576).toFixed(0)} MiB`)
  }
  return { services: size.services, warmup: size.warmup, latency, cold, coldHistory: size.coldHistory, largePack, largePackMiB: size.largePackMiB, load: { before, after: os.loadavg()[0]!, cores: os.cpus().length }, started }
}
