import { InfraSyncError, type ErrorData } from '../core/errors.js'

/** The command line is wrong (a missing option, a malformed value): exit 2, as for commander's own usage errors. */
export class UsageError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('USAGE', message, { data })
  }
}

/** The server answered with a refusal: its own `code` (SIGNATURE_INVALID, INVALID_EVENT …) and the HTTP status. */
export class ServerRefusedError extends InfraSyncError {
  constructor(code: string, message: string, data: { readonly status: number } & ErrorData) {
    super(code, message, { data })
  }
}

/** The server could not be reached, or kept answering "try later", for as long as the command was willing to try. */
export class ServerUnavailableError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}, opts: { cause?: unknown } = {}) {
    super('SERVER_UNAVAILABLE', message, { retryable: true, data, ...(opts.cause !== undefined && { cause: opts.cause }) })
  }
}

/** `--wait` ran out of time before the event reached a final status. */
export class WaitTimeoutError extends InfraSyncError {
  constructor(message: string, data: { readonly id: string; readonly status: string }) {
    super('WAIT_TIMEOUT', message, { data })
  }
}

/** The event ended in a way a person has to look at: rejected, dead, or skipped for such a reason (`EVENT_REJECTED`, `EVENT_DEAD`, `EVENT_SKIPPED`). */
export class EventOutcomeError extends InfraSyncError {
  constructor(code: 'EVENT_REJECTED' | 'EVENT_DEAD' | 'EVENT_SKIPPED', message: string, data: ErrorData) {
    super(code, message, { data })
  }
}
