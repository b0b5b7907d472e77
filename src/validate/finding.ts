/**
 * One thing wrong with a checkout, where a person fixes it. Positions are
 * 1-based; a finding about a folder (not a place in a file) is at 1:1 of
 * the folder's path.
 */
export interface Finding {
  /** Checkout-relative path with `/` separators. */
  readonly file: string
  readonly line: number
  readonly column: number
  readonly code: FindingCode
  readonly message: string
}

/**
 * The stable codes `validate` reports (documented in the README): callers and
 * CI switch on these, never on messages.
 */
export const FINDING_CODES = [
  // infra-sync.yaml itself
  'YAML_INVALID', // does not parse as YAML (also an environment's file an editor cannot read)
  'YAML_HOSTILE', // aliases, depth or size refused before parsing
  'SCHEMA_INVALID', // against schemas/infra-sync.schema.json: unknown key, wrong type, missing source/image
  'CONFIG_INVALID', // what the schema cannot say: source, image name, key path, unsafe path, a setting for the wrong update mode
  'POLICY_INVALID', // policy or range does not parse
  'PIN_INVALID', // pin is neither true nor a tag
  // environments and their files
  'PATH_MISSING', // an environment's folder does not exist
  'FILE_MISSING', // an environment's explicit file does not exist
  'NO_EDITABLE_FILE', // the folder has no file any editor handles
  'IMAGE_NOT_FOUND', // the editor that will change the image does not find it there
  'KUSTOMIZATION_INVALID', // an images: entry with a key kustomize does not know (newtag, tag)
  'EDITOR_REFUSED', // the editor refuses the file (unknown format, a key for another format, ...)
  'PIN_MISMATCH', // pin: <tag> differs from the tag the files hold
  // across services
  'IMAGE_CLAIMED_TWICE', // two services claim the same image for the same source
  // Argo CD (only when the checkout has an ApplicationSet)
  'FOLDER_WITHOUT_CONFIG', // the ApplicationSet registers a folder no infra-sync.yaml covers
  'ENVIRONMENT_NOT_DEPLOYED', // an environment folder the ApplicationSet does not register
  'APP_NAME_INVALID', // the Application name a folder renders is not a DNS-1123 label of at most 63 characters
  'NAMESPACE_INVALID', // the same, for the destination namespace
  'APP_NAME_DUPLICATE', // two folders render the same Application name
  'REPO_URL_MISMATCH', // ApplicationSet and AppProject disagree on the repository URL
  'NAMESPACE_NOT_PERMITTED', // a rendered namespace no AppProject destination allows
] as const

export type FindingCode = (typeof FINDING_CODES)[number]

/** Finding order: by file (bytes), then position, then code, so output is stable from run to run. */
export function compareFindings(a: Finding, b: Finding): number {
  if (a.file !== b.file) return a.file < b.file ? -1 : 1
  return a.line - b.line || a.column - b.column || (a.code < b.code ? -1 : a.code > b.code ? 1 : 0) || (a.message < b.message ? -1 : a.message > b.message ? 1 : 0)
}

/** Identity of a finding for `--watch`: the same problem at the same place is not printed twice. */
export const findingKey = (f: Finding) => `${f.file}\u0000${f.line}\u0000${f.column}\u0000${f.code}\u0000${f.message}`

/** `file:line:column code message`, the shape compilers and editors' problem matchers read. */
export const formatFinding = (f: Finding) => `${f.file}:${f.line}:${f.column} ${f.code} ${f.message}`

export const validLine = (services: number) => `the checkout is valid (${services} service${services === 1 ? '' : 's'})`

/** Messages are one line: a YAML parser's multi-line excerpt would break `file:line:column` output. */
export const oneLine = (s: string) => s.split('\n')[0]!.trim()
