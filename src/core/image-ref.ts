import { InvalidImageRefError } from './errors.js'

/**
 * An OCI image reference, parsed with the distribution reference grammar
 * (github.com/distribution/reference) and Docker Hub normalisation, so that
 * `nginx`, `library/nginx` and `docker.io/library/nginx` are one image while
 * `ghcr.io/acme/app` and `ghcr.io/acme/app-worker` never are.
 */
export interface ImageRef {
  /** Registry host, e.g. `ghcr.io`, `docker.io`, `localhost:5000`. */
  readonly registry: string
  /** Repository path inside the registry, e.g. `acme/orders-api`, `library/nginx`. */
  readonly path: string
  /** `registry/path`: the canonical name used for matching. */
  readonly name: string
  readonly tag?: string
  readonly digest?: string
}

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/
const DOMAIN_COMPONENT = /^(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])$/
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
const DIGEST = /^(sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/
const MAX_NAME = 255

export const DOCKER_HUB = 'docker.io'

export function isValidTag(tag: string): boolean {
  return TAG.test(tag)
}

export function isValidDigest(digest: string): boolean {
  return DIGEST.test(digest)
}

function fail(input: string, reason: string): never {
  throw new InvalidImageRefError(`invalid image reference ${JSON.stringify(truncate(input))}: ${reason}`, { reason })
}

function truncate(s: string): string {
  return s.length > 80 ? `${s.slice(0, 77)}...` : s
}

function isDomain(first: string): boolean {
  return first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()
}

function validDomain(domain: string): boolean {
  const m = /^(.*?)(?::([0-9]+))?$/.exec(domain)
  const host = m?.[1] ?? ''
  if (host.startsWith('[') && host.endsWith(']')) return /^\[[0-9a-fA-F:.]+\]$/.test(host)
  return host.length > 0 && host.split('.').every((c) => DOMAIN_COMPONENT.test(c))
}

/** Parses `[registry/]path[:tag][@digest]`. Throws InvalidImageRefError. */
export function parseImageRef(input: string): ImageRef {
  if (typeof input !== 'string' || input.length === 0) fail(String(input), 'empty')
  if (input.length > 512) fail(input, 'too long')
  if (/\s/.test(input)) fail(input, 'contains white space')

  let rest = input
  let digest: string | undefined
  const at = rest.indexOf('@')
  if (at >= 0) {
    digest = rest.slice(at + 1)
    rest = rest.slice(0, at)
    if (!DIGEST.test(digest)) fail(input, 'digest must be sha256:<64 hex> or sha512:<128 hex>')
  }
  let tag: string | undefined
  const lastColon = rest.lastIndexOf(':')
  if (lastColon > rest.lastIndexOf('/')) {
    tag = rest.slice(lastColon + 1)
    rest = rest.slice(0, lastColon)
    if (!TAG.test(tag)) fail(input, 'tag must match [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}')
  }
  return { ...parseName(rest, input), ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) }
}

/** Parses a repository name without tag or digest. */
export function parseImageName(input: string): ImageRef {
  return parseName(input, input)
}

function parseName(name: string, input: string): { registry: string; path: string; name: string } {
  if (name.length === 0) fail(input, 'empty name')
  const parts = name.split('/')
  let registry = DOCKER_HUB
  if (parts.length > 1 && isDomain(parts[0]!)) {
    registry = parts.shift()!
    if (!validDomain(registry)) fail(input, `invalid registry host ${JSON.stringify(registry)}`)
  }
  if (registry === 'index.docker.io' || registry === 'registry-1.docker.io') registry = DOCKER_HUB
  for (const p of parts) {
    if (!PATH_COMPONENT.test(p)) fail(input, `invalid path component ${JSON.stringify(truncate(p))} (lower-case letters, digits and . _ __ - separators)`)
  }
  if (registry === DOCKER_HUB && parts.length === 1) parts.unshift('library')
  const path = parts.join('/')
  const full = `${registry}/${path}`
  if (full.length > MAX_NAME) fail(input, `name longer than ${MAX_NAME} characters`)
  return { registry, path, name: full }
}

/** True when both strings name the same repository (tags and digests ignored). */
export function sameImage(a: string, b: string): boolean {
  try {
    return parseImageRef(a).name === parseImageRef(b).name
  } catch {
    return false
  }
}

export function formatImageRef(ref: { name: string; tag?: string | undefined; digest?: string | undefined }): string {
  return `${ref.name}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`
}
