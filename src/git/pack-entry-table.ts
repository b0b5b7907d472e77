/**
 * What the indexer keeps per pack entry: numbers in flat arrays and ids in
 * one buffer, about 70 bytes an entry, never the entry's data. A million
 * objects cost some 70 MiB here; the pack's own size does not matter.
 */
export class PackEntryTable {
  readonly offset: number[] = []
  /** Where the entry's deflated data ends: the next entry's offset. */
  readonly end: number[] = []
  readonly crc: number[] = []
  /** The packed kind (1–4 whole, 6 ofs-delta, 7 ref-delta); for a resolved delta, its object's type code. */
  readonly kind: number[] = []
  /** An ofs-delta's base offset; -1 otherwise. */
  readonly baseOfs: number[] = []
  /** A ref-delta's base id at 20 × index (zeros otherwise). */
  private refBase: Buffer
  /** The object id at 20 × index, once known. */
  private oids: Buffer
  private done: Uint8Array
  size = 0
  resolved = 0

  constructor(capacity: number) {
    this.refBase = Buffer.alloc(capacity * 20)
    this.oids = Buffer.alloc(capacity * 20)
    this.done = new Uint8Array(capacity)
  }

  add(offset: number, end: number, crc: number, kind: number, baseOfs: number, refBase?: Buffer): number {
    const i = this.size++
    if (i >= this.done.length) this.grow()
    this.offset.push(offset)
    this.end.push(end)
    this.crc.push(crc)
    this.kind.push(kind)
    this.baseOfs.push(baseOfs)
    if (refBase) refBase.copy(this.refBase, i * 20)
    return i
  }

  private grow(): void {
    const cap = Math.max(16, this.done.length * 2)
    const refBase = Buffer.alloc(cap * 20)
    this.refBase.copy(refBase)
    this.refBase = refBase
    const oids = Buffer.alloc(cap * 20)
    this.oids.copy(oids)
    this.oids = oids
    const done = new Uint8Array(cap)
    done.set(this.done)
    this.done = done
  }

  /** Records the object id (and type code) of entry i: it is resolved. */
  setObject(i: number, oid: Buffer, typeCode: number): void {
    oid.copy(this.oids, i * 20)
    this.kind[i] = typeCode
    if (!this.done[i]) this.resolved++
    this.done[i] = 1
  }

  isResolved(i: number): boolean {
    return this.done[i] === 1
  }

  oid(i: number): Buffer {
    return this.oids.subarray(i * 20, i * 20 + 20)
  }

  oidHex(i: number): string {
    return this.oids.toString('hex', i * 20, i * 20 + 20)
  }

  refBaseOf(i: number): Buffer {
    return this.refBase.subarray(i * 20, i * 20 + 20)
  }
}
