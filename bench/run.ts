/**
 * `npm run bench [-- --quick] [-- --out FILE]`: measures infra-sync side by
 * side with what teams do today, on this machine, in one run, and writes
 * bench/results.md. Not a test: nothing here asserts a time.
 */
import fs from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { baselinesSection, refusalsSection, transportsSection, type Report } from './report.js'
import { ciScript, warmGitFloor } from './baselines.js'
import { generateInfraRepo } from './generate-repo.js'
import { Rig, TOKEN } from './harness.js'
import { pullRequests, pullRequestsSection } from './pull-requests.js'
import { refusals } from './refusals.js'
import { burst, concurrentOurs, intake, latency, scale } from './scenarios.js'
import { transports } from './transports.js'

const args = process.argv.slice(2)
const quick = args.includes('--quick')
// `--only refusals` (or `pull-requests`, `transports`, `scale`, `replicas`, `validate`, `promotion`): just that scenario, its section printed (for measuring one change without the full run).
const only = args.includes('--only') ? args[args.indexOf('--only') + 1] : undefined
const outIndex = args.indexOf('--out')
const out = outIndex >= 0 ? args[outIndex + 1]! : path.join(import.meta.dirname, 'results.md')

const size = quick
  ? { refusalSources: 100, refusals: 5, main: 100, events: 10, rates: [100], intakeSeconds: 1, burstEvents: 100, burstServices: 20, scales: [10, 100], scaleEvents: 3, ciSeq: 2, ciConc: 4, floor: 3, concurrent: 4, prServices: 10, prDeploys: 3 }
  : { refusalSources: 100, refusals: 50, main: 1000, events: 200, rates: [100, 500, 1000], intakeSeconds: 10, burstEvents: 1000, burstServices: 100, scales: [10, 1000, 10000], scaleEvents: 50, ciSeq: 20, ciConc: 20, floor: 20, concurrent: 20, prServices: 1000, prDeploys: 30 }
const transportSize = quick ? { services: 100, warmup: 1, events: 1, coldServices: 100, coldHistory: 5, coldRuns: 1, largePackMiB: 0 } : { services: 1000, warmup: 3, events: 30, coldServices: 10000, coldHistory: 1000, coldRuns: 5, largePackMiB: 150 }

const work = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-sync-bench-'))
const log = (s: string) => process.stderr.write(`[bench] ${s}\n`)

async function main(): Promise<void> {
  const started = new Date()
  const report: Partial<Report> = { quick, started: started.toISOString() }
  report.machine = {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memory: os.totalmem(),
    node: process.version,
    platform: `${os.type()} ${os.release()}`,
  }

  const prDeploys = async () => {
    log(`pull requests: ${size.prDeploys} PRs opened and updated, ${size.prServices} services, fake GitHub`)
    const r = await pullRequests(path.join(work, 'pull-requests'), size.prServices, size.prDeploys, { quick })
    log(`  open p50 ${r.open.p50.toFixed(1)} ms, ${r.open.callsP50} calls; update p50 ${r.update.p50.toFixed(1)} ms, ${r.update.callsP50} calls`)
    return r
  }
  if (only === 'pull-requests') {
    process.stdout.write(`${pullRequestsSection(await prDeploys())}\n`)
    return
  }
  if (only === 'transports') {
    process.stdout.write(`${transportsSection(await transports(work, transportSize, log))}\n`)
    return
  }
  const replicaSize = quick ? { services: 20, rate: 50, seconds: 1, burst: 40, failovers: 1 } : { services: 1000, rate: 300, seconds: 10, burst: 1000, failovers: 3 }
  if (only === 'replicas') {
    // Three replicas on PostgreSQL beside one process on SQLite: intake, events/s, failover (replicas.ts).
    const { replicas, replicasSection } = await import('./replicas.js')
    process.stdout.write(`${replicasSection(await replicas(work, replicaSize, log))}\n`)
    return
  }
  const validateSize = quick ? { services: 100, edits: 4 } : { services: 1000, edits: 20 }
  if (only === 'validate') {
    // validate --watch: save → printed line at 1,000 services (validate-watch.ts).
    const { validateWatch, validateWatchSection } = await import('./validate-watch.js')
    process.stdout.write(`${validateWatchSection(await validateWatch(work, validateSize, log))}\n`)
    return
  }
  if (only === 'promotion') {
    // Promotion after health on a real serve with the fake Argo CD: healthyFor passed → prod commit (promotion.ts).
    const { promotion, promotionSection } = await import('./promotion.js')
    process.stdout.write(`${promotionSection(await promotion(work, { rounds: quick ? 1 : 10 }, log))}\n`)
    return
  }
  if (only === 'scale') {
    // infra-sync's own share per event, paired, at 10 and 10,000 folders in one run (scale-share.ts).
    const { scaleShare, scaleShareSection } = await import('./scale-share.js')
    process.stdout.write(`${scaleShareSection(await scaleShare(work, quick ? { sizes: [10, 100], warmup: 1, events: 3 } : { sizes: [10, 10000], warmup: 3, events: 50 }, log))}\n`)
    return
  }

  log(`generating a ${size.main}-service infra repo`)
  const mainBare = await generateInfraRepo(work, size.main)

  log(`refusals: 1 MiB unsigned or wrongly signed requests, ${size.refusalSources} sources configured`)
  report.refusals = await refusals(mainBare, path.join(work, 'refusals'), size.refusalSources, size.refusals)
  for (const c of report.refusals.cases) log(`  ${c.name}: ${c.status} ${c.code}, server p50 ${c.serverP50.toFixed(2)} ms`)
  if (only === 'refusals') {
    process.stdout.write(`${refusalsSection(report.refusals)}\n`)
    return
  }

  log('event → pushed commit, sequential')
  let rig = await Rig.start(mainBare, path.join(work, 'latency'))
  report.latency = await latency(rig, size.main, size.events)
  log(`  p50 ${report.latency.p50.toFixed(1)} ms`)
  log('20 events at the same moment (ours)')
  report.concurrentOurs = await concurrentOurs(rig, size.main, size.concurrent)
  await rig.stop()

  log('intake at fixed rates')
  rig = await Rig.start(mainBare, path.join(work, 'intake'))
  report.intake = []
  for (const rate of size.rates) {
    report.intake.push(await intake(rig, size.main, rate, size.intakeSeconds))
    log(`  ${rate}/s p99 ${report.intake.at(-1)!.p99} ms`)
    // Let the worker drain before the next rate.
    await new Promise((r) => setTimeout(r, 1000))
  }
  report.intakeRss = rig.peakRss()
  await rig.stop()

  log(`burst: ${size.burstEvents} events for ${size.burstServices} services`)
  rig = await Rig.start(mainBare, path.join(work, 'burst'))
  await latency(rig, size.main, 1)
  report.burst = await burst(rig, size.burstServices, size.burstEvents)
  log(`  ${report.burst.seconds.toFixed(2)} s, ${report.burst.commits} commits`)
  await rig.stop()

  report.scale = []
  for (const n of size.scales) {
    log(`scale: ${n} services`)
    const bare = n === size.main ? await generateInfraRepo(path.join(work, 'scale'), n) : await generateInfraRepo(path.join(work, 'scale'), n)
    report.scale.push(await scale(bare, path.join(work, `scale-${n}`), n, size.scaleEvents))
    log(`  cold ${report.scale.at(-1)!.coldStart.toFixed(0)} ms, p50 ${report.scale.at(-1)!.p50.toFixed(1)} ms`)
  }

  log('baselines on the same remote')
  const baseBare = await generateInfraRepo(path.join(work, 'baseline'), size.main)
  rig = await Rig.start(baseBare, path.join(work, 'baseline-rig'))
  const url = rig.git.url.replace('http://', `http://x-access-token:${TOKEN}@`)
  report.ciSequential = await ciScript(url, size.main, size.ciSeq, 1)
  log(`  CI script sequential p50 ${report.ciSequential.p50.toFixed(0)} ms`)
  report.ciConcurrent = await ciScript(url, size.main, size.ciConc, size.ciConc)
  log(`  CI script ×${size.ciConc}: ${report.ciConcurrent.rejected} rejected, ${report.ciConcurrent.failed} failed`)
  report.floor = await warmGitFloor(url, size.main, size.floor)
  log(`  warm git floor p50 ${report.floor.p50.toFixed(0)} ms`)
  // Ours again, on this same remote right after the baselines, for a side-by-side figure.
  report.oursOnBaselineRepo = await latency(rig, size.main, size.floor)
  await rig.stop()

  const prs = await prDeploys()
  const gitTransports = await transports(work, transportSize, log)
  const { replicas, replicasSection } = await import('./replicas.js')
  const replicated = await replicas(work, replicaSize, log)
  const { validateWatch, validateWatchSection } = await import('./validate-watch.js')
  const watched = await validateWatch(work, validateSize, log)
  const { promotion, promotionSection } = await import('./promotion.js')
  const promoted = await promotion(work, { rounds: quick ? 1 : 10 }, log)

  report.finished = new Date().toISOString()
  fs.writeFileSync(out, `${baselinesSection(report as Report).trimEnd()}\n\n${pullRequestsSection(prs)}\n\n${transportsSection(gitTransports)}\n\n${replicasSection(replicated)}\n\n${validateWatchSection(watched)}\n\n${promotionSection(promoted)}\n`)
  log(`wrote ${out}`)
}

try {
  await main()
} finally {
  fs.rmSync(work, { recursive: true, force: true })
}
