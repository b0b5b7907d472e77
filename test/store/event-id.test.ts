import fc from 'fast-check'
import t from 'tap'
import { eventIdFactory } from '../../src/store/event-id.js'

t.test('ids are ULIDs that sort in the order they were made', async (t) => {
  fc.assert(
    fc.property(fc.array(fc.integer({ min: 0, max: 50 }), { minLength: 1, maxLength: 200 }), (steps) => {
      const next = eventIdFactory()
      let now = 1_795_600_000_000
      const ids = steps.map((d) => next((now += d)))
      return ids.every((id) => /^[0-9A-HJKMNP-TV-Z]{26}$/.test(id)) && ids.every((id, i) => i === 0 || id > ids[i - 1]!)
    }),
  )
  const next = eventIdFactory()
  t.equal(next(0).slice(0, 10), '0000000000')
  t.equal(next(1_795_600_000_000).slice(0, 10), '01M891K900', 'the first 10 characters are the time, as in the ULID spec')
  t.not(eventIdFactory()(5), eventIdFactory()(5), 'random part differs between factories')
})
