import fs from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { UsageError } from '../client/client-errors.js'
import { SERVICES_DIR } from '../projects/registry.js'
import { fillTemplate, type FolderFile } from '../scaffold/fill-template.js'
import { checkNames } from '../scaffold/names.js'
import { OverlayTree } from '../scaffold/overlay-tree.js'
import { ScaffoldError } from '../scaffold/scaffold-errors.js'
import { findingKey, formatFinding, type Finding } from '../validate/finding.js'
import { FsTree } from '../validate/fs-tree.js'
import { validateCheckout } from '../validate/validate-checkout.js'

export interface NewOptions {
  readonly source: string
  readonly image: string
  /** Comma-separated environment names; default: the basic folder's own. */
  readonly env?: string
  /** The infra repo checkout (default: the current directory). */
  readonly dir?: string
  readonly json?: boolean
}

export interface NewIo {
  out(s: string): void
  err(s: string): void
}

/** The package folder (holds infra-template/), from dist/cli/ or src/cli/: as main.ts's PACKAGE_ROOT, one level further down. */
const PACKAGE_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..')
/** A checkout's own template, at its root, wins over this project's. */
const OWN_TEMPLATE = 'basic'

/**
 * `infra-sync new <service> --source OWNER/REPO --image IMAGE [--env a,b]
 * [--dir CHECKOUT] [--json]`: makes services/<service>/ from the basic folder,
 * filled in, and checks the checkout with it as `validate` would before
 * writing anything. Refusals (exit 1) and usage errors (exit 2) write nothing.
 */
export async function newCommand(service: string, opts: NewOptions, io: NewIo): Promise<void> {
  const root = path.resolve(opts.dir ?? '.')
  if (!fs.statSync(root, { throwIfNoEntry: false })?.isDirectory()) throw new UsageError(`--dir ${opts.dir ?? '.'}: no such directory`, { option: 'dir' })
  const environments = opts.env === undefined ? undefined : environmentList(opts.env)
  // Before any path is built from it: the name is a folder name too.
  checkNames(service, [])
  const folder = `${SERVICES_DIR}/${service}`
  if (fs.lstatSync(path.join(root, folder), { throwIfNoEntry: false })) throw exists(folder)

  const templateDir = fs.statSync(path.join(root, OWN_TEMPLATE), { throwIfNoEntry: false })?.isDirectory() ? path.join(root, OWN_TEMPLATE) : path.join(PACKAGE_ROOT, 'infra-template', 'basic')
  const filled = fillTemplate(readFolder(templateDir), { service, source: opts.source, image: opts.image, ...(environments && { environments }) })
  const files = filled.files.map((f) => ({ path: `${folder}/${f.path}`, bytes: f.bytes }))

  const tree = new FsTree(root)
  const before = await validateCheckout(tree)
  const after = await validateCheckout(new OverlayTree(tree, files))
  // Only what the new folder brings counts: a checkout's older findings are validate's to report.
  const known = new Set(before.findings.map(findingKey))
  const added = after.findings.filter((f) => !known.has(findingKey(f)))
  if (added.length > 0) {
    io.out(opts.json ? `${JSON.stringify(added.map(json), null, 2)}\n` : added.map((f) => `${formatFinding(f)}\n`).join(''))
    throw new ScaffoldError('SCAFFOLD_INVALID', `${folder} would not pass validate (${added.length} finding${added.length === 1 ? '' : 's'} above); nothing was written. The template is ${templateDir}`, { findings: added.length })
  }

  write(root, folder, files)
  const from = path.relative(root, templateDir) === OWN_TEMPLATE ? `${OWN_TEMPLATE}/` : 'infra-template/basic/'
  if (opts.json) io.out(`${JSON.stringify(files.map((f) => f.path), null, 2)}\n`)
  else {
    const derived = filled.derived.filter((d) => d.name !== d.from || d.overlay).map((d) => `${d.name}: settings of ${d.from}, folder from overlays/${d.overlay ?? d.from}`)
    io.out(`created ${folder}/ from ${from} (environments: ${filled.environments.join(', ')}${derived.length ? `; ${derived.join(', ')}` : ''})\n`)
    io.out(files.map((f) => `  ${f.path}\n`).join(''))
    io.out(`${folder} passes validate\n`)
  }
  if (before.findings.length > 0) io.err(`infra-sync: the checkout had ${before.findings.length} finding${before.findings.length === 1 ? '' : 's'} before, elsewhere; run infra-sync validate\n`)
}

const json = (f: Finding) => ({ file: f.file, line: f.line, column: f.column, code: f.code, message: f.message })

const exists = (folder: string) => new ScaffoldError('SERVICE_EXISTS', `${folder} already exists; new never overwrites a folder`, { folder })

function environmentList(value: string): string[] {
  const list = value.split(',').map((s) => s.trim())
  if (list.some((e) => e === '')) throw new UsageError(`--env ${JSON.stringify(value)}: give environment names separated by commas, e.g. dev,prod`, { option: 'env' })
  const dup = list.find((e, i) => list.indexOf(e) !== i)
  if (dup !== undefined) throw new UsageError(`--env names ${dup} twice`, { option: 'env' })
  return list
}

/** Every file of the template folder; a symlink is refused, as in a commit, rather than followed out of it. */
function readFolder(dir: string): FolderFile[] {
  const out: FolderFile[] = []
  const walk = (rel: string) => {
    let entries
    try {
      entries = fs.readdirSync(path.join(dir, rel), { withFileTypes: true })
    } catch (e) {
      throw new ScaffoldError('TEMPLATE_INVALID', `cannot read the basic folder ${dir}: ${(e as Error).message}`, { dir })
    }
    for (const e of entries) {
      const p = rel === '' ? e.name : `${rel}/${e.name}`
      if (e.isDirectory()) walk(p)
      else if (e.isFile()) out.push({ path: p, bytes: fs.readFileSync(path.join(dir, p)) })
      else throw new ScaffoldError('TEMPLATE_INVALID', `${path.join(dir, p)} is not a regular file or folder`, { dir, file: p })
    }
  }
  walk('')
  return out
}

/** Claims the folder with an exclusive mkdir (never overwrites, even when another writer races us), then writes; on failure removes what it made. */
function write(root: string, folder: string, files: readonly FolderFile[]): void {
  const target = path.join(root, folder)
  fs.mkdirSync(path.dirname(target), { recursive: true })
  try {
    fs.mkdirSync(target)
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') throw exists(folder)
    throw e
  }
  try {
    for (const f of files) {
      const abs = path.join(root, ...f.path.split('/'))
      fs.mkdirSync(path.dirname(abs), { recursive: true })
      fs.writeFileSync(abs, f.bytes, { flag: 'wx' })
    }
  } catch (e) {
    fs.rmSync(target, { recursive: true, force: true })
    throw e
  }
}
