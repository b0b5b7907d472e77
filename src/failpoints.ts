import { writeSync } from 'node:fs'

/**
 * Failpoints for crash tests: `INFRA_SYNC_FAILPOINT=<name>` makes the process
 * kill itself (SIGKILL, no cleanup) when it reaches that point, as a power
 * cut would. Read once at start; unset, every call is a no-op.
 *
 * - `after-accept`: the event is durable, the 202 has not been sent;
 * - `after-commit`: the commit is written and the push recorded as pending, not pushed;
 * - `ref-locked`: a local repository's `<branch>.lock` is taken (its owner recorded), the branch not yet moved;
 * - `after-push`: the remote has the commit, the store does not know yet;
 * - `after-branch-push`: a pull request's branch is pushed, the PR not yet opened or updated.
 */
const armed = process.env.INFRA_SYNC_FAILPOINT

export function failpoint(name: string): void {
  if (armed !== name) return
  // Straight to fd 2: a worker thread's process.stderr is relayed by the main thread, which is about to die.
  writeSync(2, `infra-sync: failpoint ${name} reached, killing the process\n`)
  process.kill(process.pid, 'SIGKILL')
}
