import { loadConfig } from '../config/load-config.js'
import { startServer } from '../main.js'

/** `infra-sync serve`: run until SIGTERM or SIGINT, then drain: stop taking requests, finish the batch in hand. */
export async function serveCommand(): Promise<void> {
  const config = loadConfig()
  const server = await startServer(config)
  let stopping = false
  const stop = (signal: string) => {
    if (stopping) return
    stopping = true
    server.app.log.info({ signal }, 'shutting down')
    server.close().then(
      () => process.exit(0),
      () => process.exit(1),
    )
  }
  process.on('SIGTERM', () => stop('SIGTERM'))
  process.on('SIGINT', () => stop('SIGINT'))
}
