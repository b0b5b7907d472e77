import { InfraSyncError } from '../core/errors.js'
import { formatImageValue, type ImageValue } from '../editors/editor.js'
import { openImage } from '../editors/registry.js'
import { decodeFile } from '../editors/file-codec.js'
import { parsePolicy } from '../policies/registry.js'
import type { Policy } from '../policies/policy.js'
import type { Service, ServiceTarget } from '../projects/registry.js'
import type { FileContent, HistoryLookup } from './build-change-set.js'
import type { MatchedEvent } from './match-events.js'

/** When a value entered its file: the commit that put it there, found in git history by the worker. */
export interface ValueOrigin {
  readonly commit: string
  /** ISO instant of that commit (committer time). */
  readonly committedAt: string
  /**
   * False when the walk stopped before the commit that set the value (its
   * bound, or commits older than every build in question): the value is at
   * least as old as `committedAt`.
   */
  readonly exact: boolean
}

export type ValueOrigins = (file: string, image: string, value: string) => ValueOrigin | undefined

export const noOrigins: ValueOrigins = () => undefined

export const sameValue = (a: ImageValue, b: { tag?: string | undefined; digest?: string | undefined }) =>
  (b.tag === undefined || a.tag === b.tag) && (b.digest === undefined || a.digest === b.digest)

/** A value at HEAD that infra-sync did not apply, ordered by a policy that needs its time. */
export interface ValueQuestion {
  readonly path: string
  readonly image: string
  readonly value: string
  /** Epoch ms of the oldest build the batch compares with it: commits older than that need not be told apart. */
  readonly notBefore: number
  /** Whether an older version of the file still holds this value. */
  holds(bytes: Uint8Array): boolean
}

function policyOf(target: ServiceTarget): Policy | null {
  try {
    return parsePolicy(target.policy)
  } catch (e) {
    // The planner reports a bad policy; here there is nothing to ask.
    if (e instanceof InfraSyncError) return null
    throw e
  }
}

function currentIn(service: Service, target: ServiceTarget, file: string, text: string): { value: ImageValue | null; pinned: boolean } | null {
  try {
    const opened = openImage(file, text, service.config!.imageAsWritten, { ...target, imagePolicies: service.config!.imagePolicies })
    return { value: opened.current, pinned: opened.pinned }
  } catch (e) {
    if (e instanceof InfraSyncError) return null
    throw e
  }
}

/**
 * The values whose commit time the planner needs: values at HEAD that
 * infra-sync's history did not put there (a human's edit or rollback, or
 * the value before infra-sync's first change), in targets whose policy
 * orders by build time. Rare once infra-sync has applied to a target, so the
 * worker walks history only for these. Pure.
 */
export function humanValues(matched: readonly MatchedEvent[], files: ReadonlyMap<string, FileContent>, history: HistoryLookup): ValueQuestion[] {
  const out = new Map<string, { path: string; image: string; value: string; notBefore: number; holds(bytes: Uint8Array): boolean }>()
  for (const m of matched) {
    // The same time the planner gives the build: without builtAt, its arrival.
    const builtAt = Date.parse(m.pending.event.builtAt ?? m.pending.receivedAt)
    for (const { service, target } of m.candidates) {
      if (target.pin !== undefined || !policyOf(target)?.usesBuildTime) continue
      const image = service.config!.image
      const last = history(service.name, target.environment, image)
      for (const path of target.files) {
        const content = files.get(path)
        if (!content || 'error' in content) continue
        const head = currentIn(service, target, path, content.text)
        if (!head || head.pinned || !head.value) continue
        const value = formatImageValue(head.value)
        if (value === undefined || (last && sameValue(head.value, last))) continue
        const key = `${path}\u0000${image}\u0000${value}`
        const known = out.get(key)
        if (known) {
          known.notBefore = Math.min(known.notBefore, builtAt)
          continue
        }
        out.set(key, {
          path,
          image,
          value,
          notBefore: builtAt,
          holds(bytes) {
            let text: string
            try {
              text = decodeFile(bytes, path)
            } catch (e) {
              if (e instanceof InfraSyncError) return false
              throw e
            }
            return formatImageValue(currentIn(service, target, path, text)?.value) === value
          },
        })
      }
    }
  }
  return [...out.values()]
}

/** The planner's lookup over the worker's answers (`origins[i]` answers `questions[i]`; null: not found). */
export function originLookup(questions: readonly ValueQuestion[], origins: readonly (ValueOrigin | null)[]): ValueOrigins {
  const byKey = new Map<string, ValueOrigin>()
  questions.forEach((q, i) => {
    const o = origins[i]
    if (o) byKey.set(`${q.path}\u0000${q.image}\u0000${q.value}`, o)
  })
  return (file, image, value) => byKey.get(`${file}\u0000${image}\u0000${value}`)
}
