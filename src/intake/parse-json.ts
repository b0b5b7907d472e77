import { ValidationError } from '../core/errors.js'

/** A verified body as JSON; never called before its signature is checked. */
export function parseJsonBody(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8'))
  } catch {
    throw new ValidationError('body is not valid JSON', {}, 'INVALID_JSON')
  }
}
