import { ValidationError } from '../core/errors.js'

/**
 * git's ref-name rules (git check-ref-format, plus what `git branch` adds):
 * branch names come from service folder names, so a folder called
 * `a..b` or `x.lock` must be refused before it reaches a remote or becomes
 * a path under refs/ here.
 */
const FORBIDDEN = /[\u0000-\u0020\u007f~^:?*[\\]/

function refusal(ref: string, why: string): ValidationError {
  return new ValidationError(`${JSON.stringify(ref.slice(0, 200))} is not a valid branch ref: ${why}`, { ref: ref.slice(0, 200), why }, 'INVALID_REF')
}

/** Throws ValidationError INVALID_REF unless `ref` is refs/heads/<a valid branch name>. */
export function assertBranchRef(ref: string): string {
  if (typeof ref !== 'string' || !ref.startsWith('refs/heads/')) throw refusal(String(ref), 'it must start with refs/heads/')
  const name = ref.slice('refs/heads/'.length)
  if (name === '' || name === 'HEAD' || name === '@') throw refusal(ref, 'no branch name')
  if (name.startsWith('-')) throw refusal(ref, 'a branch name cannot start with -')
  if (FORBIDDEN.test(ref)) throw refusal(ref, 'control characters, spaces and ~ ^ : ? * [ \\ are not allowed')
  if (ref.includes('..')) throw refusal(ref, '.. is not allowed')
  if (ref.includes('@{')) throw refusal(ref, '@{ is not allowed')
  if (ref.endsWith('.')) throw refusal(ref, 'it cannot end with .')
  for (const part of name.split('/')) {
    if (part === '') throw refusal(ref, 'empty path component (// or a trailing /)')
    if (part.startsWith('.')) throw refusal(ref, 'a component cannot start with .')
    if (part.endsWith('.lock')) throw refusal(ref, 'a component cannot end with .lock')
    // Each component becomes a file name under refs/.
    if (Buffer.byteLength(part) > 255) throw refusal(ref, 'a component is longer than 255 bytes')
  }
  return ref
}

/** A prefix to list refs under: inside refs/, never a way out of it. */
export function assertRefPrefix(prefix: string): string {
  if (typeof prefix !== 'string' || !prefix.startsWith('refs/')) throw refusal(String(prefix), 'a prefix must start with refs/')
  if (FORBIDDEN.test(prefix) || prefix.includes('..') || prefix.includes('//')) throw refusal(prefix, 'not a ref prefix')
  return prefix
}
