import type { EventOutcome, FileEdit, PendingEvent } from '../core/change-set.js'
import { encodeFile } from '../editors/file-codec.js'
import type { ObjectStore } from '../git/object-store.js'
import { writeCommit, type Person, type WrittenCommit } from '../git/write-commit.js'
import { commitMessage } from '../plan/commit-message.js'
import { targetStatus } from '../plan/event-status.js'

/**
 * Writes a batch's one commit on `head` (not pushed) and names the events it
 * applies: only events with a change in it, whose trailers settle them after a crash.
 */
export async function writeBatchCommit(
  objects: ObjectStore,
  head: string | null,
  edits: readonly FileEdit[],
  outcomes: readonly EventOutcome[],
  pending: ReadonlyMap<string, PendingEvent>,
  author: Person,
  when: Date,
): Promise<{ readonly written: WrittenCommit; readonly message: string; readonly applied: readonly EventOutcome[] }> {
  const message = commitMessage(edits, pending)
  const written = await writeCommit(objects, { parent: head, files: new Map(edits.map((e) => [e.path, encodeFile(e.after)])), message, author, when })
  const applied = outcomes.filter((o) => o.targets.some((t) => t.decision === 'update' && targetStatus(t) === 'applied'))
  return { written, message, applied }
}
