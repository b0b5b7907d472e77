import { InfraSyncError } from '../core/errors.js'
import type { SchemaProblem } from '../core/schema-check.js'
import { decodeFile } from '../editors/file-codec.js'
import { kustomizeImages } from '../editors/kustomize-images.js'
import { openImage } from '../editors/registry.js'
import type { Service, ServiceTarget } from '../projects/registry.js'
import { SERVICE_CONFIG_FILE } from '../projects/service-config.js'
import type { TreeSource } from '../projects/tree-source.js'
import { oneLine, type Finding, type FindingCode } from './finding.js'
import { unknownImageKeys } from './kustomize-keys.js'
import { YamlPositions, type Position } from './yaml-positions.js'

/** What validate knows of one service folder: its own findings, and where the rules across folders point. */
export interface ServiceReport {
  /** The folder's id when it was checked: the cache key in `--watch`. */
  readonly oid: string
  readonly findings: readonly Finding[]
  /** services/<name>/infra-sync.yaml, when the folder has one. */
  readonly configFile: string | null
  readonly imageAt: Position
  /** Where each environment is written in infra-sync.yaml (absent: a default one, from overlays/*). */
  readonly environmentAt: ReadonlyMap<string, Position>
  readonly environmentsAt: Position
  /** Environment folders that do not exist (already a finding: the Argo CD rules leave them be). */
  readonly missingDirs: ReadonlySet<string>
}

const START: Position = { line: 1, column: 1 }
const EDITOR_CODES = new Set<string>(['YAML_INVALID', 'YAML_HOSTILE', 'IMAGE_NOT_FOUND'])

/**
 * Checks one service folder as the worker will read it: its infra-sync.yaml
 * (the registry's parse, positioned), then every environment's files with
 * the editor the worker would use (openImage over decodeFile), and pins.
 */
export async function checkService(source: TreeSource, service: Service): Promise<ServiceReport> {
  const configFile = `${service.dir}/${SERVICE_CONFIG_FILE}`
  const findings: Finding[] = []
  const add = (file: string, at: Position, code: FindingCode, message: string) => findings.push({ file, line: at.line, column: at.column, code, message: oneLine(message) })
  const empty = { oid: service.oid, findings, imageAt: START, environmentAt: new Map(), environmentsAt: START, missingDirs: new Set<string>() }
  if (!service.config && !service.error) return { ...empty, configFile: null }

  let text = ''
  try {
    const bytes = await source.read(configFile)
    text = bytes ? decodeFile(bytes, configFile) : ''
  } catch (e) {
    if (!(e instanceof InfraSyncError)) throw e
  }
  const pos = new YamlPositions(text)
  if (service.error) {
    configFindings(service.error, configFile, pos, add)
    return { ...empty, configFile }
  }

  const config = service.config!
  const environmentAt = new Map<string, Position>()
  if (config.environments) for (const env of config.environments) environmentAt.set(env.name, pos.of(`environments.${env.name}`, true))
  const missingDirs = new Set<string>()
  for (const target of service.targets) {
    // Where in infra-sync.yaml a problem with this environment is fixed; a default environment is its folder.
    const written = environmentAt.has(target.environment)
    const at = (field: string) => (written ? { file: configFile, at: pos.of(`environments.${target.environment}.${field}`) } : { file: target.dir, at: START })
    if (target.problem !== undefined) {
      const missing = (await source.list(target.dir)) === null
      if (missing) missingDirs.add(target.dir)
      const where = at('path')
      add(where.file, where.at, missing ? 'PATH_MISSING' : 'NO_EDITABLE_FILE', `environment ${target.environment}: ${target.problem}`)
      continue
    }
    await checkTarget(source, service, target, at, add)
  }
  return { oid: service.oid, findings, configFile, imageAt: pos.of('image'), environmentAt, environmentsAt: pos.of('environments', true), missingDirs }
}

type Add = (file: string, at: Position, code: FindingCode, message: string) => void

function configFindings(error: NonNullable<Service['error']>, file: string, pos: YamlPositions, add: Add): void {
  const data = error.data ?? {}
  const message = error.message.startsWith(`${file}: `) ? error.message.slice(file.length + 2) : error.message
  if (error.code === 'YAML_INVALID' || error.code === 'YAML_HOSTILE') return add(file, START, error.code, message)
  if (data.reason === 'yaml') return add(file, pos.syntaxError()?.position ?? START, 'YAML_INVALID', message)
  const problems = data.problems as readonly SchemaProblem[] | undefined
  if (problems) {
    for (const p of problems) {
      // An unknown key or a bad name is the key's fault; a wrong value is the value's.
      const onKey = p.keyword === 'additionalProperties' || p.keyword === 'required' || !(p.keyword in VALUE_KEYWORDS)
      add(file, pos.of(p.path, onKey), 'SCHEMA_INVALID', p.path === '' ? p.message : `${p.path}: ${p.message}`)
    }
    return
  }
  const path = typeof data.path === 'string' ? data.path : ''
  const code: FindingCode = /(^|\.)policy$/.test(path) ? 'POLICY_INVALID' : /(^|\.)pin$/.test(path) ? 'PIN_INVALID' : 'CONFIG_INVALID'
  add(file, pos.of(path), code, message)
}

/** Schema keywords about a value (the rest, such as a property name's pattern, are about a key). */
const VALUE_KEYWORDS = { type: 1, enum: 1, pattern: 1, minLength: 1, maxLength: 1, minItems: 1, uniqueItems: 1, const: 1, minimum: 1, maximum: 1 }

async function checkTarget(source: TreeSource, service: Service, target: ServiceTarget, at: (field: string) => { file: string; at: Position }, add: Add): Promise<void> {
  const config = service.config!
  const env = target.environment
  let found = 0
  for (const file of target.files) {
    let text: string
    try {
      const bytes = await source.read(file)
      if (!bytes) {
        const where = at('file')
        add(where.file, where.at, 'FILE_MISSING', `environment ${env}: ${file} does not exist`)
        return
      }
      text = decodeFile(bytes, file)
    } catch (e) {
      if (!(e instanceof InfraSyncError)) throw e
      add(file, START, e.code === 'YAML_HOSTILE' ? 'YAML_HOSTILE' : e.code === 'PATH_UNSAFE' ? 'EDITOR_REFUSED' : 'YAML_INVALID', stripFile(e.message, file))
      found++
      continue
    }
    if (kustomizeImages.detect(file)) {
      for (const k of unknownImageKeys(text)) add(file, k.at, 'KUSTOMIZATION_INVALID', `images: unknown key ${k.key}; kustomize refuses the file${k.suggestion ? ` (did you mean ${k.suggestion}?)` : ''}`)
    }
    try {
      // Exactly as the worker opens it (build-change-set.ts): the same editor finds, or does not find, the image.
      const opened = openImage(file, text, config.imageAsWritten, { ...target, imagePolicies: config.imagePolicies })
      if (opened.current === null) continue
      found++
      const pin = target.pin
      if (typeof pin === 'string' && opened.current.tag !== undefined && opened.current.tag !== pin) {
        const where = at('pin')
        add(where.file, where.at, 'PIN_MISMATCH', `environment ${env} is pinned at ${pin}, but ${file} holds ${opened.current.tag}`)
      }
    } catch (e) {
      if (!(e instanceof InfraSyncError)) throw e
      found++
      const code = EDITOR_CODES.has(e.code) ? (e.code as FindingCode) : 'EDITOR_REFUSED'
      const line = typeof e.data.line === 'number' ? e.data.line : undefined
      const p = code === 'YAML_INVALID' && line === undefined ? (new YamlPositions(text).syntaxError()?.position ?? START) : { line: line ?? 1, column: 1 }
      add(file, p, code, stripFile(e.message, file))
    }
  }
  if (found === 0 && target.files.length > 0) {
    const file = target.files.length === 1 ? target.files[0]! : target.dir
    const keyed = target.key !== undefined ? ` at key ${target.key}` : ''
    add(file, START, 'IMAGE_NOT_FOUND', `environment ${env}: the ${target.format ?? 'detected'} editor finds no ${config.imageAsWritten}${keyed} in ${file}`)
  }
}

const stripFile = (message: string, file: string) => (message.startsWith(`${file}: `) ? message.slice(file.length + 2) : message)
