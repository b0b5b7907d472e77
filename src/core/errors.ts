/**
 * Every error infra-sync raises on purpose is an InfraSyncError: a stable
 * `code` callers switch on, structured `data`, and `retryable` so the worker
 * decides retry-or-give-up by type, never by message text.
 * The HTTP status for each code lives in one table in http/error-handler.ts.
 */
export type ErrorData = Record<string, unknown>

export class InfraSyncError extends Error {
  readonly code: string
  readonly retryable: boolean
  readonly data: ErrorData

  constructor(code: string, message: string, opts: { retryable?: boolean; data?: ErrorData; cause?: unknown } = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause })
    this.name = new.target.name
    this.code = code
    this.retryable = opts.retryable ?? false
    this.data = opts.data ?? {}
  }
}

/** The request or input is malformed (400). */
export class ValidationError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}, code = 'INVALID_INPUT') {
    super(code, message, { data })
  }
}

export class InvalidImageRefError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('INVALID_IMAGE_REF', message, { data })
  }
}

export class SignatureError extends InfraSyncError {
  constructor(code: 'SIGNATURE_MISSING' | 'SIGNATURE_INVALID' | 'TIMESTAMP_OUT_OF_RANGE', message: string, data: ErrorData = {}) {
    super(code, message, { data })
  }
}

/** Authenticated, but not allowed to speak for that source (403). */
export class ForbiddenSourceError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('SOURCE_FORBIDDEN', message, { data })
  }
}

/** An event says emergency: true, and its source may not pass deploy windows (403). */
export class EmergencyForbiddenError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('EMERGENCY_FORBIDDEN', message, { data })
  }
}

/** No secret can verify the request: no source named and no fallback (SOURCE_REQUIRED), or a named source with no secret here (SOURCE_UNKNOWN). */
export class SourceSecretError extends InfraSyncError {
  constructor(code: 'SOURCE_REQUIRED' | 'SOURCE_UNKNOWN', message: string, data: ErrorData = {}) {
    super(code, message, { data })
  }
}

export class NotFoundError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}, code = 'NOT_FOUND') {
    super(code, message, { data })
  }
}

export class ConfigError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('CONFIG_INVALID', message, { data })
  }
}

/** YAML that does not parse, or parses to something other than what the format expects. */
export class YamlError extends InfraSyncError {
  constructor(code: 'YAML_INVALID' | 'YAML_HOSTILE' | 'YAML_UNSUPPORTED', message: string, data: ErrorData = {}) {
    super(code, message, { data })
  }
}

/** A path that would escape the repository or touch git's own files. */
export class UnsafePathError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('PATH_UNSAFE', message, { data })
  }
}

/** The edited text did not read back as the value that was set: nothing is written. */
export class EditVerifyError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('EDIT_VERIFY_FAILED', message, { data })
  }
}

/** The file does not set the image (and its format cannot add it), or a `key` names something else. */
export class ImageNotFoundError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('IMAGE_NOT_FOUND', message, { data })
  }
}

/** The place a file (or a key, or a marker) says holds the image names another repository: refused, never overwritten. */
export class ImageMismatchError extends InfraSyncError {
  constructor(message: string, data: { readonly path: string; readonly image: string; readonly found: string } & ErrorData) {
    super('IMAGE_MISMATCH', message, { data })
  }
}

/** The remote moved while we were working: re-plan on the new head. */
export class PushRejectedError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}) {
    super('PUSH_REJECTED', message, { retryable: true, data })
  }
}

/** A git network operation failed; whether a push landed is unknown until the next fetch. */
export class GitRemoteError extends InfraSyncError {
  constructor(message: string, data: ErrorData = {}, opts: { retryable?: boolean; cause?: unknown } = {}) {
    super('GIT_REMOTE', message, { retryable: opts.retryable ?? true, data, cause: opts.cause })
  }
}

/** Another writer holds the branch's lock right now: wait and retry; not the remote failing, not the event's fault. */
export class RefLockedError extends InfraSyncError {
  constructor(message: string, data: { readonly ref: string; readonly ageMs?: number }) {
    super('REF_LOCKED', message, { retryable: true, data })
  }
}

export class StoreUnavailableError extends InfraSyncError {
  constructor(message: string, cause?: unknown) {
    super('STORE_UNAVAILABLE', message, { retryable: true, cause })
  }
}

/**
 * A batch write carried a fencing token the infra repo's lease no longer has:
 * another replica took the lease over. Nothing of the write was kept; the
 * batch is the new holder's to redo, so this holder must not retry it.
 */
export class LeaseLostError extends InfraSyncError {
  constructor(message: string, data: { readonly repo: string; readonly token: number; readonly current?: number }) {
    super('LEASE_LOST', message, { retryable: false, data })
  }
}

export const isInfraSyncError = (e: unknown): e is InfraSyncError => e instanceof InfraSyncError

/** A source sent more than its share: try again after `retryAfterSeconds`. */
export class RateLimitedError extends InfraSyncError {
  constructor(message: string, data: { readonly retryAfterSeconds: number; readonly source: string }) {
    super('RATE_LIMITED', message, { retryable: true, data })
  }
}

/** The operator endpoints need the admin token (or, without one configured, a loopback caller). */
export class AdminAuthError extends InfraSyncError {
  constructor(code: 'ADMIN_UNAUTHORIZED' | 'ADMIN_TOKEN_REQUIRED', message: string) {
    super(code, message)
  }
}

/** The request is valid but the resource is not in a state that allows it. */
export class ConflictError extends InfraSyncError {
  constructor(code: string, message: string, data: ErrorData = {}) {
    super(code, message, { data })
  }
}

/**
 * A forge's API (GitHub) failed or refused. `retryable` comes from its answer:
 * 5xx, rate limits and the network are retried; 401/403/404/422 are not.
 */
export class ForgeError extends InfraSyncError {
  constructor(
    code: 'FORGE_UNAVAILABLE' | 'FORGE_AUTH' | 'FORGE_NOT_FOUND' | 'FORGE_REFUSED',
    message: string,
    data: { readonly status?: number; readonly operation: string } & ErrorData,
    opts: { retryable?: boolean; cause?: unknown } = {},
  ) {
    super(code, message, { retryable: opts.retryable ?? code === 'FORGE_UNAVAILABLE', data, cause: opts.cause })
  }
}

/**
 * The remote refused the update itself, not because the branch moved: branch
 * protection, a hook. Retrying cannot help; a person must act (for a
 * protected branch: deliver that environment by pull request).
 */
export class PushRefusedError extends InfraSyncError {
  constructor(message: string, data: { readonly ref: string; readonly reason: string }) {
    super('PUSH_REFUSED', message, { retryable: false, data })
  }
}
