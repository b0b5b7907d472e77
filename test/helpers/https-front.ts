import { execFileSync } from 'node:child_process'
import fs from 'node:fs'
import http from 'node:http'
import https from 'node:https'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'

/** A name that resolves nowhere (.test is reserved): only a proxy told where it lives can reach it. */
export const PROXIED_HOST = 'git.proxied.test'

let made: { key: Buffer; cert: Buffer } | undefined

/** One self-signed certificate for 127.0.0.1 per test process (openssl's RSA key is the slow part). */
function certificate(): { key: Buffer; cert: Buffer } {
  if (made) return made
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'infra-sync-cert-'))
  try {
    const key = path.join(dir, 'key.pem')
    const cert = path.join(dir, 'cert.pem')
    execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', `subjectAltName=IP:127.0.0.1,DNS:${PROXIED_HOST}`], { stdio: 'ignore' })
    made = { key: fs.readFileSync(key), cert: fs.readFileSync(cert) }
    return made
  } finally {
    fs.rmSync(dir, { recursive: true, force: true })
  }
}

/** An https server (self-signed for 127.0.0.1) forwarding every request to `upstream`: git http-backend behind TLS. */
export async function startHttpsFront(t: { teardown(fn: () => unknown): void }, upstream: string): Promise<{ origin: string; ca: Buffer }> {
  const { key, cert } = certificate()
  const up = new URL(upstream)
  const server = https.createServer({ key, cert }, (req, res) => {
    const fwd = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers: { ...req.headers, host: up.host } }, (r) => {
      res.writeHead(r.statusCode ?? 502, r.headers)
      r.pipe(res)
    })
    fwd.on('error', () => res.destroy())
    req.pipe(fwd)
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  t.teardown(
    () =>
      new Promise<void>((r) => {
        server.closeAllConnections()
        server.close(() => r())
      }),
  )
  return { origin: `https://127.0.0.1:${(server.address() as AddressInfo).port}`, ca: cert }
}
