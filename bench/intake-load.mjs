// Runs autocannon in its own process, so the load generator does not share
// an event loop (or a core's worth of timers) with the rest of the benchmark.
// argv: url rate seconds connections services firstTag; prints one JSON line.
import { createHmac } from 'node:crypto'
import autocannon from 'autocannon'

const [url, rate, seconds, connections, services, firstTag, secret] = process.argv.slice(2)
const name = (i) => `svc-${String(i).padStart(5, '0')}`
let k = 0
let tag = Number(firstTag)
const result = await autocannon({
  url,
  method: 'POST',
  connections: Number(connections),
  overallRate: Number(rate),
  duration: Number(seconds),
  requests: [
    {
      setupRequest: (req) => {
        const i = k++ % Number(services)
        const body = JSON.stringify({ source: `acme/${name(i)}`, image: `ghcr.io/acme/${name(i)}`, tag: `main-${tag++}`, ref: 'refs/heads/main', builtAt: new Date().toISOString() })
        const id = `ac-${process.pid}-${k}`
        const ts = Math.floor(Date.now() / 1000)
        const sig = createHmac('sha256', secret).update(`${id}.${ts}.${body}`).digest('base64')
        return { ...req, body, headers: { 'content-type': 'application/json', 'webhook-id': id, 'webhook-timestamp': String(ts), 'webhook-signature': `v1,${sig}` } }
      },
    },
  ],
})
process.stdout.write(
  `${JSON.stringify({ requests: result.requests.total, p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, errors: result.errors + result.timeouts, non2xx: result.non2xx, achievedRate: result.requests.average, tags: tag })}\n`,
)
