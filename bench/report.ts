import fs from 'node:fs'
import path from 'node:path'
import type { BaselineResult } from './baselines.js'
import type { RefusalResult } from './refusals.js'
import type { BurstResult, IntakeResult, LatencyResult, ScaleResult } from './scenarios.js'
import type { TransportsResult } from './transports.js'
import { mib, ms } from './stats.js'

export interface Report {
  quick: boolean
  started: string
  finished: string
  machine: { cores: number; cpu: string; memory: number; node: string; platform: string }
  latency: LatencyResult
  concurrentOurs: { n: number; failed: number; seconds: number }
  intake: IntakeResult[]
  intakeRss: number
  burst: BurstResult
  scale: ScaleResult[]
  ciSequential: BaselineResult
  ciConcurrent: BaselineResult
  floor: BaselineResult
  oursOnBaselineRepo: LatencyResult
  refusals: RefusalResult
}

const yes = (ok: boolean) => (ok ? 'met' : '**missed**')

const TRANSPORT_NAME = { builtin: 'built-in smart-HTTP client', cli: 'git CLI' } as const

/** The two git transports side by side; also printed alone by `npm run bench -- --only transports`. */
export function transportsSection(r: TransportsResult): string {
  const lines = [
    '## Git transports',
    '',
    `One remote (\`git http-backend\` behind the bench's HTTP server, token auth) and one ${r.services.toLocaleString('en')}-service repo; one infra-sync process (\`node dist/cli.js serve\`) per transport, each on its own branch of that repo (\`INFRA_SYNC_GIT_TRANSPORT=builtin\` on \`main\`, \`cli\` on \`bench-cli\`), so they never race each other's pushes. Events alternate between them (A, B, B, A …, one at a time), ${r.warmup} per transport first as warm-up (the first clone among them), the remote repacked between events, never during one. Infra-sync's share runs from sending the POST to its push reaching the remote (the receive-pack request's start: any fetch and ref advertisement before it included); the remote's share from there to the branch moving. Load average ${r.load.before.toFixed(1)} at the start, ${r.load.after.toFixed(1)} at the end, on ${r.load.cores} cores shared with other work (${r.started}).`,
    '',
    '| transport | events | POST → commit p50 | p95 | infra-sync share p50 | p95 | remote receive-pack → branch moved p50 | requests per event (info/refs, upload-pack, receive-pack) |',
    '|---|---|---|---|---|---|---|---|',
    ...r.latency.map((l) => `| ${TRANSPORT_NAME[l.transport]} | ${l.n} | ${ms(l.total.p50)} | ${ms(l.total.p95)} | ${ms(l.own.p50)} | ${ms(l.own.p95)} | ${ms(l.remote.p50)} | ${l.requests['info-refs']}, ${l.requests['upload-pack']}, ${l.requests['receive-pack']} |`),
  ]
  const [a, b] = r.latency
  if (a && b) lines.push('', `Ratio of the medians, ${TRANSPORT_NAME[b.transport]} / ${TRANSPORT_NAME[a.transport]}: ${(b.total.p50 / a.total.p50).toFixed(2)}× POST → commit, ${(b.own.p50 / a.own.p50).toFixed(2)}× infra-sync's share.`)
  const services = r.cold[0]?.services ?? 0
  lines.push(
    '',
    `Cold start at ${services.toLocaleString('en')} service folders with ${r.coldHistory.toLocaleString('en')} deploy commits of history (one tag each) on the first one, packed: each run a fresh process and data folder; timed from the remote's \`prepare()\` through \`sync()\` (the first clone) to the service registry loaded from the head (what the worker reads before it can plan). Runs alternate between the transports. CPU is the Node process's own (user + system), far less coloured by the machine's load than the wall clock; peak RSS is the Node process's too (for the git CLI, git's own processes are in neither).`,
    '',
    '| transport | runs | cold start p50 | prepare | first clone (sync) | registry | CPU: prepare + clone | CPU: registry | clone on disk | shallow | peak RSS | requests (info/refs, upload-pack) | Git-Protocol sent |',
    '|---|---|---|---|---|---|---|---|---|---|---|---|---|',
    ...r.cold.map((c) => `| ${TRANSPORT_NAME[c.transport]} | ${c.runs.length} | ${ms(c.p50.total)} | ${ms(c.p50.prepare)} | ${ms(c.p50.sync)} | ${ms(c.p50.registry)} | ${ms(c.p50.cpuSync)} | ${ms(c.p50.cpuRegistry)} | ${(c.p50.diskBytes / 1024 / 1024).toFixed(1)} MiB | ${c.shallowRuns === c.runs.length ? 'yes' : c.shallowRuns === 0 ? 'no' : `${c.shallowRuns} of ${c.runs.length}`} | ${mib(c.p50.maxRss)} | ${c.requests.infoRefs}, ${c.requests.uploadPacks} | ${c.protocols.join(', ') || 'none (v0)'} |`),
  )
  const builtin = r.cold.find((c) => c.transport === 'builtin')
  if (builtin) lines.push('', `Target: cold start at 10,000 folders under 2 s with the built-in client: ${ms(builtin.p50.total)} at ${services.toLocaleString('en')} folders, ${services >= 10_000 ? yes(builtin.p50.total < 2000) : 'not judged at this size'}.`)
  if (r.largePack.length > 0) {
    lines.push(
      '',
      `One first clone of a repo that is a single ${r.largePackMiB} MiB pack of incompressible blobs, once per transport, as above (its registry is empty). The issue's bound for the built-in client: peak RSS under 200 MiB.`,
      '',
      '| transport | first clone (sync) | CPU | peak RSS (Node process) | clone on disk |',
      '|---|---|---|---|---|',
      ...r.largePack.map((c) => `| ${TRANSPORT_NAME[c.transport]} | ${ms(c.p50.sync)} | ${ms(c.p50.cpuSync)} | ${mib(c.p50.maxRss)} | ${mib(c.p50.diskBytes)} |`),
    )
  }
  return lines.join('\n')
}

/** What a refusal costs the server; also printed alone by `npm run bench -- --only refusals`. */
export function refusalsSection(r: RefusalResult): string {
  const lines = [
    '## Refusals',
    '',
    `\`POST /v1/events\` with a ${mib(r.bytes)} body (${r.bytes.toLocaleString('en')} bytes) against the real binary with ${r.sources} sources configured, each with its own secret, and a fallback secret; ${r.n} requests per row, one at a time. Server time is Fastify's own elapsed time for the request (\`reply.elapsedTime\` in \`onResponse\`, from the server's log); the client column includes sending the body over loopback; the machine's load average was ${r.loadAverage.toFixed(1)} on ${r.cores} cores, and the minimum is what a request costs when that load leaves it alone. Missing headers are refused before the body is read; a wrong signature costs the HMACs of the named source's secrets (or the fallback's), not one per configured source.`,
    '',
    '| request | answer | server p50 | server p99 | server min | client p50 |',
    '|---|---|---|---|---|---|',
    ...r.cases.map((c) => `| ${c.name} | ${c.status} ${c.code} | ${ms(c.serverP50, 2)} | ${ms(c.serverP99, 2)} | ${ms(c.serverMin, 2)} | ${ms(c.clientP50, 2)} |`),
  ]
  return lines.join('\n')
}

export function baselinesSection(r: Report): string {
  const scaleSmall = r.scale[0]!
  const scaleLarge = r.scale[r.scale.length - 1]!
  const peak = Math.max(r.burst.peakRss, r.intakeRss, ...r.scale.map((s) => s.peakRss))
  const intake500 = r.intake.find((i) => i.rate === 500)
  const ours = r.oursOnBaselineRepo.p50
  const speedup = r.ciSequential.p50 / ours
  const vsFloor = r.floor.p50 / ours
  const lines: string[] = []
  const p = (s = '') => lines.push(s)

  p('# Benchmark results')
  p()
  p(`Produced by \`npm run bench${r.quick ? ' -- --quick' : ''}\` on ${r.started.slice(0, 10)} (${r.started} to ${r.finished}).`)
  p(`Machine: ${r.machine.cores} cores (${r.machine.cpu}), ${mib(r.machine.memory)} RAM, Node ${r.machine.node}, ${r.machine.platform}.`)
  p('Everything runs on this one machine: the remote is `git http-backend` behind a small Node HTTP server on loopback (with token auth),')
  p('infra-sync is the real binary (`node dist/cli.js serve`, SQLite store), and the load generator shares the same cores.')
  if (r.quick) p('\n**Quick mode**: small sizes, for checking that the benchmark still runs; the figures mean little.')
  p()
  p('## Targets')
  p()
  p('| target | measured | |')
  p('|---|---|---|')
  p(`| event → commit p50 ≤ 50 ms (${r.scale.find((s) => s.services === 1000) ? '1,000 services' : `${r.latency.n} events`}) | ${ms(r.latency.p50)}, of which the remote's receive-pack ${ms(r.latency.remoteP50)} | ${yes(r.latency.p50 <= 50)} |`)
  p(`| ≥ 10× faster per event than the CI-script baseline | ${speedup.toFixed(1)}× (${ms(r.ciSequential.p50)} vs ${ms(ours)}) | ${yes(speedup >= 10)} |`)
  p(`| faster than the warm git CLI floor | ${vsFloor.toFixed(1)}× (${ms(r.floor.p50)} vs ${ms(ours)}) | ${yes(vsFloor > 1)} |`)
  p(`| no failed deploy where ${r.ciConcurrent.n} concurrent CI pushes are rejected | ours: ${r.concurrentOurs.failed} failed of ${r.concurrentOurs.n}; CI script: ${r.ciConcurrent.rejected} rejected pushes, ${r.ciConcurrent.failed} failed deploys | ${yes(r.concurrentOurs.failed === 0)} |`)
  p(`| ${r.burst.events}-event burst applied in ≤ 5 s, one commit per batch | ${r.burst.seconds.toFixed(2)} s, ${r.burst.commits} commits | ${yes(r.burst.seconds <= 5 && r.burst.commits < r.burst.events / 5)} |`)
  p(`| zero lost, zero duplicated (from the remote's trailers) | ${r.burst.lost} lost, ${r.burst.duplicated} duplicated, ${r.burst.wrongFinal} services not at their last tag | ${yes(r.burst.lost === 0 && r.burst.duplicated === 0 && r.burst.wrongFinal === 0)} |`)
  p(`| per-event latency at ${scaleLarge.services.toLocaleString('en')} folders within 1.2× of ${scaleSmall.services} | ${ms(scaleLarge.p50)} vs ${ms(scaleSmall.p50)} (${(scaleLarge.p50 / scaleSmall.p50).toFixed(2)}×); the remote's own receive-pack ${ms(scaleLarge.remoteP50)} vs ${ms(scaleSmall.remoteP50)} | ${yes(scaleLarge.p50 <= 1.2 * scaleSmall.p50)} |`)
  p(`| peak RSS ≤ 256 MiB | ${mib(peak)} | ${yes(peak <= 256 * 1024 * 1024)} |`)
  const [unsigned, ...wrong] = r.refusals.cases
  p(`| a 1 MiB unsigned request refused in < 2 ms of server time, ${r.refusals.sources} sources configured | ${ms(unsigned!.serverP50, 2)} p50 (before the body is read) | ${yes(unsigned!.serverP50 < 2)} |`)
  const slowest = Math.max(...wrong.map((c) => c.serverP50))
  p(`| a 1 MiB wrongly signed request refused in < 2 ms of server time, ${r.refusals.sources} sources configured | ${wrong.map((c) => ms(c.serverP50, 2)).join(' and ')} p50 (naming a source; naming none), fastest ${ms(Math.min(...wrong.map((c) => c.serverMin)), 2)}: the upload arriving plus one HMAC of it | ${yes(slowest < 2)} |`)
  if (intake500) p(`| intake p99 ≤ 10 ms at 500 req/s | ${ms(intake500.p99, 0)} at the client (autocannon), ${ms(intake500.serverP99, 2)} in the server; ${intake500.achievedRate.toFixed(0)}/s achieved | ${yes(intake500.p99 <= 10)} |`)
  p()
  p('## Event → pushed commit')
  p()
  p(`${r.latency.n} events, one at a time, each changing one service of a ${r.scale.find((s) => s.services === 1000)?.files.toLocaleString('en') ?? ''}-file infra repo, warm clone. Measured from sending the POST to the moment the remote's branch moved (git receive-pack done), and from the 202.`)
  p()
  p('| | p50 | p99 |')
  p('|---|---|---|')
  p(`| POST → commit on the remote | ${ms(r.latency.p50)} | ${ms(r.latency.p99)} |`)
  p(`| 202 → commit on the remote | ${ms(r.latency.p50From202)} | ${ms(r.latency.p99From202)} |`)
  p(`| the remote's own receive-pack (git http-backend, start to end) | ${ms(r.latency.remoteP50)} | |`)
  p(`| infra-sync's own share (POST → commit, less the remote's p50) | ${ms(r.latency.p50 - r.latency.remoteP50)} | |`)
  p()
  p('## Intake')
  p()
  p('`POST /v1/events` at fixed offered rates (autocannon in its own process, one connection per 100 req/s), each request a new signed event for a real service, so the worker commits while intake is measured. Every 202 is durable (SQLite WAL, synchronous=FULL, one fsync per group of requests). autocannon measures at the client in whole milliseconds; the server columns are the server\'s own timing of the same requests, from its `/metrics` histogram (interpolated within buckets).')
  p()
  p('| offered | connections | achieved | requests | p50 | p99 | server p50 | server p99 | errors | non-2xx |')
  p('|---|---|---|---|---|---|---|---|---|---|')
  for (const i of r.intake) p(`| ${i.rate}/s | ${i.connections} | ${i.achievedRate.toFixed(0)}/s | ${i.requests} | ${ms(i.p50, 0)} | ${ms(i.p99, 0)} | ${ms(i.serverP50, 2)} | ${ms(i.serverP99, 2)} | ${i.errors} | ${i.non2xx} |`)
  p()
  p(refusalsSection(r.refusals))
  p()
  p('## Burst')
  p()
  p(`${r.burst.events} events for ${r.burst.services} services, sent at once (64 in flight). Time until every event reached a final status; then every check from the remote's own history.`)
  p()
  p('| time | commits | events per commit | applied | superseded in a batch | lost | duplicated | peak RSS |')
  p('|---|---|---|---|---|---|---|---|')
  p(`| ${r.burst.seconds.toFixed(2)} s | ${r.burst.commits} | ${(r.burst.events / Math.max(1, r.burst.commits)).toFixed(1)} | ${r.burst.applied} | ${r.burst.superseded} | ${r.burst.lost} | ${r.burst.duplicated} | ${mib(r.burst.peakRss)} |`)
  p()
  p('## Scale')
  p()
  p('Generated infra repos (4 files per service folder). Cold start: from spawning the process to its first commit on the remote (clone + index + first event).')
  p()
  p('| service folders | files | cold start | first event | per-event p50 | per-event p99 | remote receive-pack p50 | infra-sync share p50 | peak RSS |')
  p('|---|---|---|---|---|---|---|---|---|')
  for (const s of r.scale) p(`| ${s.services.toLocaleString('en')} | ${s.files.toLocaleString('en')} | ${ms(s.coldStart)} | ${ms(s.firstEvent)} | ${ms(s.p50)} | ${ms(s.p99)} | ${ms(s.remoteP50)} | ${ms(s.p50 - s.remoteP50)} | ${mib(s.peakRss)} |`)
  p()
  p('## Side by side with what teams do today')
  p()
  p(`Same machine, same remote, same ${r.oursOnBaselineRepo.n ? '' : ''}repo (${r.scale.find((s) => s.services === 1000) ? '1,000' : 'the generated'} services). The CI script is what a source pipeline typically runs: \`git clone --depth 1\`, \`sed\` the tag, commit, push, and on rejection \`git pull --rebase\` and push again (3 tries). The floor is the real git CLI in a warm clone: pull, edit one line, commit, push. Ours was measured on the same remote right after.`)
  p()
  p('| approach | deploys | p50 | p99 | rejected pushes | failed deploys | wall time |')
  p('|---|---|---|---|---|---|---|')
  p(`| CI script, one at a time | ${r.ciSequential.n} | ${ms(r.ciSequential.p50)} | ${ms(r.ciSequential.p99)} | ${r.ciSequential.rejected} | ${r.ciSequential.failed} | ${r.ciSequential.seconds.toFixed(1)} s |`)
  p(`| CI script, ${r.ciConcurrent.n} at once | ${r.ciConcurrent.n} | ${ms(r.ciConcurrent.p50)} | ${ms(r.ciConcurrent.p99)} | ${r.ciConcurrent.rejected} | ${r.ciConcurrent.failed} | ${r.ciConcurrent.seconds.toFixed(1)} s |`)
  p(`| warm git CLI (floor) | ${r.floor.n} | ${ms(r.floor.p50)} | ${ms(r.floor.p99)} | 0 | 0 | ${r.floor.seconds.toFixed(1)} s |`)
  p(`| infra-sync, one at a time | ${r.oursOnBaselineRepo.n} | ${ms(ours)} | ${ms(r.oursOnBaselineRepo.p99)} | | 0 | |`)
  p(`| infra-sync, ${r.concurrentOurs.n} at once | ${r.concurrentOurs.n} | | | | ${r.concurrentOurs.failed} | ${r.concurrentOurs.seconds.toFixed(1)} s |`)
  p()
  p(`Ratios (p50): the CI script takes ${speedup.toFixed(1)}× as long as infra-sync per deploy; the warm git CLI floor ${vsFloor.toFixed(1)}×.`)
  p()
  const findings = path.join(import.meta.dirname, 'findings.md')
  if (fs.existsSync(findings)) {
    p(fs.readFileSync(findings, 'utf8').trimEnd())
    p()
  }
  return lines.join('\n')
}
