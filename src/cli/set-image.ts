import fs from 'node:fs'
import path from 'node:path'
import { InfraSyncError, UnsafePathError, ValidationError } from '../core/errors.js'
import { formatImageValue } from '../editors/editor.js'
import { splitRef } from '../editors/image-sites.js'
import { openImage } from '../editors/registry.js'
import { decodeFile, encodeFile } from '../editors/file-codec.js'

export interface SetImageOptions {
  readonly dryRun?: boolean
  readonly format?: string
  readonly key?: string
  readonly imagePolicy?: readonly string[]
}

export interface CliIo {
  readonly out: (s: string) => void
  readonly err: (s: string) => void
}

/** Splits `IMAGE[:TAG][@DIGEST]` into the name as written and the values to set. */
export function splitImageArg(arg: string): { name: string; tag?: string; digest?: string } {
  const { name, value } = splitRef(arg)
  if (!value.tag && !value.digest) throw new ValidationError(`${arg}: give a tag (IMAGE:TAG), a digest (IMAGE@sha256:…) or both`, {}, 'INVALID_INPUT')
  return { name, ...value }
}

/** `infra-sync set-image FILE IMAGE[:TAG][@DIGEST]`: the service's own editors, on one file, in place. */
export function setImageCommand(file: string, imageArg: string, opts: SetImageOptions, io: CliIo): void {
  try {
    setImage(file, imageArg, opts, io)
  } catch (e) {
    // Every refusal reads `<file>: <message>`; the editors' own errors already name the file.
    if (!(e instanceof InfraSyncError) || e.data.path !== undefined) throw e
    throw new InfraSyncError(e.code, `${file}: ${e.message}`, { data: { ...e.data, path: file }, retryable: e.retryable, cause: e })
  }
}

function setImage(file: string, imageArg: string, opts: SetImageOptions, io: CliIo): void {
  const image = splitImageArg(imageArg)
  let bytes: Buffer
  try {
    // Edit the file named, never what a link points at: a link could lead out of the repository.
    if (fs.lstatSync(file).isSymbolicLink()) throw new UnsafePathError(`${file}: is a symbolic link; edit the file it points to`, { path: file })
    bytes = fs.readFileSync(file)
  } catch (e) {
    if (e instanceof UnsafePathError) throw e
    throw new ValidationError(`${file}: cannot read it (${(e as NodeJS.ErrnoException).code ?? 'error'})`, { path: file }, 'FILE_UNREADABLE')
  }
  // The worker's decoder and encoder: a byte-order mark, invalid UTF-8 and the size limit are treated alike.
  const text = decodeFile(bytes, file)
  const result = openImage(file, text, image.name, {
    ...(opts.format !== undefined && { format: opts.format }),
    ...(opts.key !== undefined && { key: opts.key }),
    ...(opts.imagePolicy && { imagePolicies: opts.imagePolicy }),
  }).set({ ...(image.tag && { tag: image.tag }), ...(image.digest && { digest: image.digest }) })
  if (opts.dryRun) {
    io.out(result.text)
    return
  }
  const was = formatImageValue(result.before) ?? 'unset'
  const now = formatImageValue(result.after)
  if (!result.changed) {
    io.err(`${file}: ${image.name} is already ${now}\n`)
    return
  }
  // Write beside and rename: a crash never leaves half a file.
  const tmp = path.join(path.dirname(file), `.${path.basename(file)}.infra-sync-${process.pid}`)
  const mode = fs.statSync(file).mode & 0o777
  fs.writeFileSync(tmp, encodeFile(result.text), { mode })
  fs.renameSync(tmp, file)
  io.err(`${file}: ${image.name} ${was} → ${now}\n`)
}
