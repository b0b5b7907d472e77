import fc from 'fast-check'
import t from 'tap'
import { LayeredMap } from '../../src/projects/layered-map.js'

t.test('a layered map reads as the plain map made by the same changes, and every earlier version stays as it was', async (t) => {
  const key = fc.integer({ min: 0, max: 12 })
  const step = fc.record({ set: fc.array(fc.tuple(key, fc.string()), { maxLength: 4 }), remove: fc.array(key, { maxLength: 4 }), fold: fc.integer({ min: 1, max: 6 }) })
  fc.assert(
    fc.property(fc.array(fc.tuple(key, fc.string()), { maxLength: 8 }), fc.array(step, { maxLength: 12 }), (start, steps) => {
      let model = new Map(start)
      let layered = LayeredMap.of(new Map(start))
      const versions: [Map<number, string>, LayeredMap<number, string>][] = [[model, layered]]
      for (const s of steps) {
        model = new Map(model)
        for (const k of s.remove) model.delete(k)
        for (const [k, v] of s.set) model.set(k, v)
        layered = layered.with(s.set, s.remove, s.fold)
        versions.push([model, layered])
      }
      for (const [m, l] of versions) {
        const sorted = (it: Iterable<[number, string]>) => [...it].sort((a, b) => a[0] - b[0])
        if (JSON.stringify(sorted(m)) !== JSON.stringify(sorted(l)) || m.size !== l.size) return false
        for (let k = 0; k <= 12; k++) if (m.get(k) !== l.get(k) || m.has(k) !== l.has(k)) return false
        if (JSON.stringify(sorted([...l.keys()].map((k) => [k, l.get(k)!]))) !== JSON.stringify(sorted(m))) return false
      }
      return true
    }),
    { numRuns: 300 },
  )
  t.pass('matched the model')
})
