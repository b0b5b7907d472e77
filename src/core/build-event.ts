import { ValidationError, InvalidImageRefError } from './errors.js'
import { isValidDigest, isValidTag, parseImageName } from './image-ref.js'

/**
 * "Image built": what a source's CI tells infra-sync. Parsed from untrusted
 * JSON by parseBuildEvent; every other layer takes this validated value.
 */
export interface BuildEvent {
  /** The source repository, lower-cased (`acme/orders-api`). */
  readonly source: string
  /** Canonical image name (`ghcr.io/acme/orders-api`, `docker.io/library/nginx`). */
  readonly image: string
  readonly tag?: string
  readonly digest?: string
  readonly commit?: string
  /** Full ref (`refs/heads/main`, `refs/tags/v1.2.3`). */
  readonly ref?: string
  /** ISO-8601 instant. */
  readonly builtAt?: string
  readonly buildUrl?: string
  /** Asks to pass deploy windows; the intake accepts it only from a source allowed to (`sources.<repo>.emergency: true`). */
  readonly emergency?: true
  /**
   * Set only by POST /v1/rollbacks, never by parseBuildEvent: the public
   * intake cannot send a rollback. Such an event changes this one target.
   */
  readonly rollback?: RollbackMark
}

/** What makes an internal event a rollback (see src/http/routes/rollbacks.ts). */
export interface RollbackMark {
  readonly service: string
  readonly environment: string
  /** The request's id: the same request twice is one rollback, two requests are two. */
  readonly request: string
  /** Passes deploy windows (`rollback --force`). */
  readonly force?: boolean
}

const SOURCE = /^[A-Za-z0-9_.-]+(?:\/[A-Za-z0-9_.-]+)+$/
const COMMIT = /^(?:[0-9a-f]{40}|[0-9a-f]{64})$/
const RFC3339 = /^\d{4}-\d{2}-\d{2}[Tt ]\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?(?:[Zz]|[+-]\d{2}:\d{2})$/
const REF = /^refs\/(?:heads|tags)\/[^\s~^:?*[\\]+$/

export function normaliseSource(source: string): string {
  return source.toLowerCase()
}

export function isValidSource(source: string): boolean {
  return source.length <= 200 && SOURCE.test(source) && !source.split('/').some((p) => p === '.' || p === '..')
}

function bad(field: string, reason: string): never {
  throw new ValidationError(`${field}: ${reason}`, { field }, 'INVALID_EVENT')
}

function optionalString(body: Record<string, unknown>, field: string, max: number): string | undefined {
  const v = body[field]
  if (v === undefined || v === null) return undefined
  if (typeof v !== 'string') bad(field, 'must be a string')
  if (v.length === 0) bad(field, 'must not be empty')
  if (v.length > max) bad(field, `longer than ${max} characters`)
  return v
}

/** Validates an untrusted, already JSON-parsed body. Throws ValidationError (code INVALID_EVENT or INVALID_IMAGE_REF). */
export function parseBuildEvent(body: unknown): BuildEvent {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) bad('body', 'must be a JSON object')
  const b = body as Record<string, unknown>

  const source = optionalString(b, 'source', 200)
  if (source === undefined) bad('source', 'is required')
  if (!isValidSource(source)) bad('source', 'must look like owner/repository')

  const imageInput = optionalString(b, 'image', 300)
  if (imageInput === undefined) bad('image', 'is required')
  if (imageInput.includes('@') || /:[^/]*$/.test(imageInput.replace(/^[^/]*\//, ''))) {
    throw new InvalidImageRefError('image: give the repository only; send the tag in "tag" and the digest in "digest"', { field: 'image' })
  }
  let image: string
  try {
    image = parseImageName(imageInput).name
  } catch (e) {
    if (e instanceof InvalidImageRefError) throw new InvalidImageRefError(`image: ${e.message}`, { field: 'image' })
    throw e
  }

  const tag = optionalString(b, 'tag', 128)
  if (tag !== undefined && !isValidTag(tag)) {
    throw new InvalidImageRefError('tag: must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127} (OCI tag grammar)', { field: 'tag' })
  }
  const digest = optionalString(b, 'digest', 200)
  if (digest !== undefined && !isValidDigest(digest)) {
    throw new InvalidImageRefError('digest: must be sha256:<64 lower-case hex> or sha512:<128 hex>', { field: 'digest' })
  }
  if (tag === undefined && digest === undefined) bad('tag', 'one of "tag" or "digest" is required')

  const commit = optionalString(b, 'commit', 64)
  if (commit !== undefined && !COMMIT.test(commit)) bad('commit', 'must be a full 40- or 64-character lower-case hex commit id')

  let ref = optionalString(b, 'ref', 250)
  if (ref !== undefined) {
    if (!ref.startsWith('refs/')) ref = `refs/heads/${ref}`
    if (!REF.test(ref)) bad('ref', 'must be refs/heads/<branch> or refs/tags/<tag>')
  }

  const builtAtInput = optionalString(b, 'builtAt', 40)
  let builtAt: string | undefined
  if (builtAtInput !== undefined) {
    const ms = Date.parse(builtAtInput)
    if (!RFC3339.test(builtAtInput) || Number.isNaN(ms)) bad('builtAt', 'must be an RFC 3339 timestamp such as 2026-11-25T10:00:00Z')
    builtAt = new Date(ms).toISOString()
  }

  const buildUrl = optionalString(b, 'buildUrl', 2048)
  if (buildUrl !== undefined) {
    // Printable ASCII only: the URL goes into commit messages and must not smuggle lines or trailers.
    if (!/^[\x21-\x7e]+$/.test(buildUrl)) bad('buildUrl', 'must be a URL without spaces or control characters')
    let u: URL | undefined
    try {
      u = new URL(buildUrl)
    } catch {
      u = undefined
    }
    if (!u || (u.protocol !== 'https:' && u.protocol !== 'http:')) bad('buildUrl', 'must be an http(s) URL')
  }

  const emergency = b['emergency']
  if (emergency !== undefined && emergency !== null && typeof emergency !== 'boolean') bad('emergency', 'must be true or false')

  return {
    source: normaliseSource(source),
    image,
    ...(tag !== undefined && { tag }),
    ...(digest !== undefined && { digest }),
    ...(commit !== undefined && { commit }),
    ...(ref !== undefined && { ref }),
    ...(builtAt !== undefined && { builtAt }),
    ...(buildUrl !== undefined && { buildUrl }),
    ...(emergency === true && { emergency: true as const }),
  }
}
