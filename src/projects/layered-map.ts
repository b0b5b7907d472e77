const GONE = Symbol('gone')

/**
 * An immutable map made of a shared base and a small layer of changes over
 * it: `with` gives a new map and leaves this one as it was, at the cost of
 * the layer, not of the base. Copying a 10,000-entry Map on every commit cost
 * more than everything else the commit did; the layer is folded into a new
 * base once it reaches `fold` entries (or an eighth of the base), so reads
 * stay two lookups and the copies are spread thin.
 */
export class LayeredMap<K, V> implements ReadonlyMap<K, V> {
  private constructor(
    private readonly base: ReadonlyMap<K, V>,
    private readonly layer: ReadonlyMap<K, V | typeof GONE>,
    readonly size: number,
  ) {}

  static of<K, V>(base: ReadonlyMap<K, V>): LayeredMap<K, V> {
    return base instanceof LayeredMap ? (base as LayeredMap<K, V>) : new LayeredMap(base, new Map(), base.size)
  }

  /** A new map with `set` entries set and `remove` keys removed (a key in both: set). */
  with(set: Iterable<readonly [K, V]>, remove: Iterable<K> = [], fold = 256): LayeredMap<K, V> {
    const layer = new Map(this.layer)
    let size = this.size
    const present = (k: K) => (layer.has(k) ? layer.get(k) !== GONE : this.base.has(k))
    for (const k of remove) {
      if (!present(k)) continue
      layer.set(k, GONE)
      size--
    }
    for (const [k, v] of set) {
      if (!present(k)) size++
      layer.set(k, v)
    }
    if (layer.size < Math.max(fold, this.base.size >> 3)) return new LayeredMap(this.base, layer, size)
    const flat = new Map(this.base)
    for (const [k, v] of layer) {
      if (v === GONE) flat.delete(k)
      else flat.set(k, v)
    }
    return new LayeredMap(flat, new Map(), flat.size)
  }

  get(key: K): V | undefined {
    if (!this.layer.has(key)) return this.base.get(key)
    const v = this.layer.get(key)
    return v === GONE ? undefined : v
  }

  has(key: K): boolean {
    return this.layer.has(key) ? this.layer.get(key) !== GONE : this.base.has(key)
  }

  *entries(): MapIterator<[K, V]> {
    for (const [k, v] of this.base) if (!this.layer.has(k)) yield [k, v]
    for (const [k, v] of this.layer) if (v !== GONE) yield [k, v]
  }

  *keys(): MapIterator<K> {
    for (const [k] of this.entries()) yield k
  }

  *values(): MapIterator<V> {
    for (const [, v] of this.entries()) yield v
  }

  [Symbol.iterator](): MapIterator<[K, V]> {
    return this.entries()
  }

  forEach(fn: (value: V, key: K, map: ReadonlyMap<K, V>) => void, thisArg?: unknown): void {
    for (const [k, v] of this.entries()) fn.call(thisArg, v, k, this)
  }
}
