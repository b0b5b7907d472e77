import { loadConfig } from '../config/load-config.js'
import { startServer, type Server } from '../main.js'

/** `infra-sync serve`: run until SIGTERM or SIGINT, then drain: stop taking requests, finish the batch in hand. */
export async function serveCommand(): Promise<void> {
  const config = loadConfig()
  let server: Server | undefined
  let signalled: string | undefined
  const shutdown = () => {
    server!.app.log.info({ signal: signalled }, 'shutting down')
    server!.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  // Installed before start-up, so a signal that arrives while starting still drains cleanly.
  const onSignal = (signal: string) => {
    if (signalled) return
    signalled = signal
    if (server) shutdown()
  }
  process.on('SIGTERM', () => onSignal('SIGTERM'))
  process.on('SIGINT', () => onSignal('SIGINT'))
  server = await startServer(config)
  if (signalled) shutdown()
}
