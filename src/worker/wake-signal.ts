/**
 * The worker loop's sleep between polls, cut short by new work: a wake that
 * comes while the loop is busy is remembered, so the next sleep returns at once.
 */
export class WakeSignal {
  private woken = false
  private wakeUp: (() => void) | undefined

  wake(): void {
    this.woken = true
    this.wakeUp?.()
  }

  /** Wakes after `ms` whatever the poll interval (a backoff's end). */
  after(ms: number): void {
    setTimeout(() => this.wake(), ms).unref?.()
  }

  /** A batch starts: earlier wakes are answered by it. */
  consume(): void {
    this.woken = false
  }

  /** Sleeps up to `ms`, or not at all when woken since the last sleep. */
  sleep(ms: number): Promise<void> {
    if (this.woken) {
      this.woken = false
      return Promise.resolve()
    }
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(t)
        this.wakeUp = undefined
        this.woken = false
        resolve()
      }
      const t = setTimeout(done, ms)
      this.wakeUp = done
    })
  }
}
