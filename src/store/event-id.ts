import { randomBytes } from 'node:crypto'

const ALPHABET = '0123456789ABCDEFGHJKMNPQRSTVWXYZ'

/**
 * ULID-format ids (26 characters of Crockford base32: 48 bits of milliseconds,
 * then 80 random bits), monotonic within a millisecond so they sort in
 * arrival order. Randomness comes from a refilled pool: the `ulid` package
 * asks the system for one byte per character, which showed up in the intake
 * profile.
 */
export function eventIdFactory(): (now: number) => string {
  let pool = randomBytes(4096)
  let at = 0
  let lastTime = -1
  const last = new Uint8Array(16)
  const random = (): number => {
    if (at >= pool.length) {
      pool = randomBytes(4096)
      at = 0
    }
    return pool[at++]! & 31
  }
  return (now: number) => {
    if (now <= lastTime) {
      // Same millisecond (or the clock went back): increment the random part.
      let i = 15
      while (i >= 0 && last[i] === 31) last[i--] = 0
      if (i >= 0) last[i]!++
    } else {
      lastTime = now
      for (let i = 0; i < 16; i++) last[i] = random()
    }
    let time = ''
    let t = lastTime
    for (let i = 0; i < 10; i++) {
      time = ALPHABET[t % 32]! + time
      t = Math.floor(t / 32)
    }
    let rand = ''
    for (let i = 0; i < 16; i++) rand += ALPHABET[last[i]!]
    return time + rand
  }
}
