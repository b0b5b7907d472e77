import { isMap, isScalar } from 'yaml'
import { isValidSource } from '../core/build-event.js'
import { InvalidImageRefError } from '../core/errors.js'
import { parseImageName, parseImageRef } from '../core/image-ref.js'
import { decodeFile, encodeFile } from '../editors/file-codec.js'
import { readEnvironments, rewriteEnvironments, type EnvironmentSource, type TemplateEnvironment } from './environments-block.js'
import { checkNames, isProdLike } from './names.js'
import { ScaffoldError } from './scaffold-errors.js'
import { parseYamlFile, rewriteScalars, tokenRule, type ScalarEdit, type ScalarRule } from './yaml-scalars.js'

/** A file of the basic folder, or of the folder made from it: path relative to the folder, `/` separators. */
export interface FolderFile {
  readonly path: string
  readonly bytes: Uint8Array
}

export interface FillInput {
  readonly service: string
  readonly source: string
  /** As the user wrote it (no tag, no digest): written so everywhere, so kustomize's literal name match keeps working. */
  readonly image: string
  /** Default: the template's own environments. */
  readonly environments?: readonly string[]
}

export interface FillResult {
  /** Sorted by path. */
  readonly files: readonly FolderFile[]
  readonly environments: readonly string[]
  /** Each environment, the template entry its settings come from (itself when the template has it), and the overlay its folder was made from when it is new. */
  readonly derived: readonly (EnvironmentSource & { readonly overlay?: string })[]
}

export const CONFIG_FILE = 'infra-sync.yaml'
const OVERLAYS = 'overlays'
const isYaml = (p: string) => /\.ya?ml$/i.test(p)

/**
 * The basic folder filled in for one service: its name where the template
 * names its example service (the last part of the template's image:
 * my-service), the source and image, and exactly the environments asked for.
 * YAML is edited value by value so comments and layout stay the template's;
 * other files are copied byte for byte.
 */
export function fillTemplate(template: readonly FolderFile[], input: FillInput): FillResult {
  if (!isValidSource(input.source)) throw new ScaffoldError('SOURCE_INVALID', `--source ${JSON.stringify(input.source)} must be owner/repo (the source repository whose CI builds the image)`, { source: input.source })
  checkImage(input.image)
  const config = template.find((f) => f.path === CONFIG_FILE)
  if (!config) throw new ScaffoldError('TEMPLATE_INVALID', `the basic folder has no ${CONFIG_FILE}`, { file: CONFIG_FILE })
  const configText = decodeFile(config.bytes, CONFIG_FILE)
  const { image: templateImage } = topLevel(configText)
  const templateName = parseImageName(templateImage).path.split('/').pop()!

  const overlays = [...new Set(template.filter((f) => f.path.startsWith(`${OVERLAYS}/`) && f.path.split('/').length > 2).map((f) => f.path.split('/')[1]!))].sort()
  const entries = readEnvironments(configText, CONFIG_FILE)
  const environments = [...(input.environments ?? (entries ? entries.map((e) => e.name) : overlays))]
  checkNames(input.service, environments)

  // A template environment keeps its own folder, wherever it is; only a new one is made from an overlay.
  const needOverlay = environments.filter((e) => !overlays.includes(e) && !entries?.some((x) => x.name === e))
  const firstOverlay = entries?.map((e) => e.name).find((n) => overlays.includes(n)) ?? overlays[0]
  const derived = environments.map((name) => ({
    name,
    from: entries ? entryFor(name, entries) : needOverlay.includes(name) ? firstOverlay! : name,
    ...(needOverlay.includes(name) && { overlay: firstOverlay! }),
  }))
  if (input.environments && needOverlay.length > 0 && !firstOverlay) {
    throw new ScaffoldError('TEMPLATE_INVALID', `the basic folder has no ${OVERLAYS}/* folder to make ${needOverlay.join(', ')} from`, { environments: needOverlay })
  }

  const common = serviceRule(templateImage, templateName, input)
  const out: FolderFile[] = []
  for (const f of template) {
    const [top, env] = f.path.split('/')
    if (top === OVERLAYS && env !== undefined && f.path.split('/').length > 2) {
      if (input.environments && !environments.includes(env)) continue
    }
    out.push({ path: f.path, bytes: fill(f, f.path === CONFIG_FILE ? configRule(input, common) : common) })
  }
  if (input.environments) {
    for (const env of needOverlay) {
      for (const f of template.filter((t) => t.path.startsWith(`${OVERLAYS}/${firstOverlay}/`))) {
        const path = `${OVERLAYS}/${env}/${f.path.slice(`${OVERLAYS}/${firstOverlay}/`.length)}`
        out.push({ path, bytes: fill(f, then(common, tokenRule(firstOverlay!, env))) })
      }
    }
    const i = out.findIndex((f) => f.path === CONFIG_FILE)
    if (entries && !sameList(entries.map((e) => e.name), environments)) {
      out[i] = { path: CONFIG_FILE, bytes: encodeFile(rewriteEnvironments(decodeFile(out[i]!.bytes, CONFIG_FILE), CONFIG_FILE, derived)) }
    }
  }
  out.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0))
  return { files: out, environments, derived }
}

function checkImage(image: string): void {
  // As the event intake: the repository only, the tag comes with each build.
  if (image.includes('@') || /:[^/]*$/.test(image.replace(/^[^/]*\//, ''))) {
    throw new InvalidImageRefError(`--image ${JSON.stringify(image)}: give the repository only, without a tag or digest`, { image })
  }
  parseImageName(image)
}

/** The template's own source and image (top-level scalars of its infra-sync.yaml). */
function topLevel(text: string): { image: string } {
  const doc = parseYamlFile(text, CONFIG_FILE)[0]
  const image = doc && isMap(doc.contents) ? doc.contents.get('image', true) : undefined
  if (!isScalar(image) || typeof image.value !== 'string') throw new ScaffoldError('TEMPLATE_INVALID', `${CONFIG_FILE}: the basic folder's image: is missing`, { file: CONFIG_FILE })
  try {
    parseImageName(image.value)
  } catch {
    throw new ScaffoldError('TEMPLATE_INVALID', `${CONFIG_FILE}: the basic folder's image: is not an image name`, { file: CONFIG_FILE })
  }
  return { image: image.value }
}

/**
 * Which template entry a new environment copies: its own; for a prod-like
 * name the template's prod-like entry (or its first pull-request one), so a
 * new production is reviewed as the template's is; otherwise the first
 * entry that is not prod-like.
 */
function entryFor(name: string, entries: readonly TemplateEnvironment[]): string {
  if (entries.some((e) => e.name === name)) return name
  const pick = isProdLike(name)
    ? (entries.find((e) => isProdLike(e.name)) ?? entries.find((e) => e.update === 'pull-request'))
    : entries.find((e) => !isProdLike(e.name))
  return (pick ?? entries[0])!.name
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i])

/** The template image (with any tag or digest kept) to the new image; else the template's service name to the new one. */
function serviceRule(templateImage: string, templateName: string, input: FillInput): ScalarRule {
  const canonical = parseImageName(templateImage).name
  return (value) => {
    const name = imageName(value)
    if (name !== undefined && (name === templateImage || (value.includes('/') && parseImageName(name).name === canonical))) {
      const next = input.image + value.slice(name.length)
      return { value: next, rewrite: (w) => w.replace(name, input.image) }
    }
    return tokenRule(templateName, input.service)(value, { doc: 0, keys: [] })
  }
}

/** A value's image name as written, when it reads as an image reference. */
function imageName(value: string): string | undefined {
  try {
    const ref = parseImageRef(value)
    return value.slice(0, value.length - (ref.digest ? ref.digest.length + 1 : 0) - (ref.tag ? ref.tag.length + 1 : 0))
  } catch {
    return undefined
  }
}

/** infra-sync.yaml: source and image set outright; every other value as the manifests. */
function configRule(input: FillInput, rest: ScalarRule): ScalarRule {
  return (value, site) => {
    if (site.doc === 0 && site.keys.length === 1 && (site.keys[0] === 'source' || site.keys[0] === 'image')) {
      const next = site.keys[0] === 'source' ? input.source : input.image
      return { value: next, rewrite: (w) => quoteLike(w, next) }
    }
    return rest(value, site)
  }
}

/** `next` written the way `written` was: plain, single- or double-quoted. */
function quoteLike(written: string, next: string): string {
  if (written.startsWith('"')) return JSON.stringify(next)
  if (written.startsWith("'")) return `'${next.replace(/'/g, "''")}'`
  return next
}

/** Both rules, the second on the first's result. */
function then(a: ScalarRule, b: ScalarRule): ScalarRule {
  return (value, site) => {
    const first: ScalarEdit | undefined = a(value, site)
    const mid = first?.value ?? value
    const second = b(mid, site)
    if (!first) return second
    if (!second) return first
    return { value: second.value, rewrite: (w) => second.rewrite(first.rewrite(w)) }
  }
}

function fill(f: FolderFile, rule: ScalarRule): Uint8Array {
  if (!isYaml(f.path)) return f.bytes
  const text = decodeFile(f.bytes, f.path)
  const next = rewriteScalars(text, f.path, rule)
  return next === text ? f.bytes : encodeFile(next)
}
