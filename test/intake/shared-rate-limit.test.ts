import t from 'tap'
import { makeBareRepo } from '../helpers/git-cli.js'
import { freshDatabase } from '../helpers/postgres.js'
import { exampleInfraFiles, startTestServer } from '../helpers/server.js'
import { SECRET_A, signedHeaders } from '../helpers/sign.js'
import { tmpDir } from '../helpers/tmp.js'

/** Two servers on one PostgreSQL database, as replicas behind a load balancer: a source's limit is one bucket, not one per replica. */
t.test('a source spread over two replicas gets its burst once', async (t) => {
  const databaseUrl = await freshDatabase(t)
  const bare = makeBareRepo(tmpDir(t), exampleInfraFiles())
  // perSecond so small that no token comes back during the test: the outcome does not depend on timing.
  const over = { databaseUrl, rateLimit: { perSecond: 1e-6, burst: 2 } }
  const replicas = [await startTestServer(t, { location: bare, kind: 'local' }, over), await startTestServer(t, { location: bare, kind: 'local' }, over)]
  const post = (i: number, tag: string) => {
    const body = JSON.stringify({ source: 'acme/orders-api', image: 'ghcr.io/acme/orders-api', tag, ref: 'refs/heads/main' })
    return replicas[i % 2]!.app.inject({ method: 'POST', url: '/v1/events', headers: signedHeaders(SECRET_A, body), payload: body })
  }
  t.equal((await post(0, '7.0.0')).statusCode, 202)
  t.equal((await post(1, '7.0.1')).statusCode, 202)
  for (const i of [0, 1]) {
    const limited = await post(i, `7.0.${2 + i}`)
    t.equal(limited.statusCode, 429, `replica ${i} refuses the third and later`)
    t.equal(limited.json().code, 'RATE_LIMITED')
    t.ok(Number(limited.headers['retry-after']) >= 1)
  }
})
