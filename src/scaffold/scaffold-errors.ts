import { InfraSyncError, type ErrorData } from '../core/errors.js'

/**
 * Why `infra-sync new` refused: nothing was written. Stable codes (the
 * README lists them); a malformed command line is the client's UsageError
 * (USAGE, exit 2) instead.
 */
export type ScaffoldErrorCode =
  | 'SERVICE_NAME_INVALID' // not a DNS-1123 label, or <service>-<environment> would not be a valid Application name
  | 'ENVIRONMENT_INVALID' // an environment name that is not a DNS-1123 label
  | 'SOURCE_INVALID' // --source is not owner/repo
  | 'SERVICE_EXISTS' // services/<service> is already there: never overwritten
  | 'TEMPLATE_INVALID' // the basic folder is missing, unreadable, or not something new can fill in
  | 'SCAFFOLD_INVALID' // the filled-in folder does not pass validate

export class ScaffoldError extends InfraSyncError {
  constructor(code: ScaffoldErrorCode, message: string, data: ErrorData = {}) {
    super(code, message, { data })
  }
}
