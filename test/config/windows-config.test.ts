import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { loadConfig } from '../../src/config/load-config.js'
import { tmpDir } from '../helpers/tmp.js'

const LONG = 'a-secret-that-is-long-enough-0123456789'
const HOST_MACHINE = { INFRA_SYNC_IN_CONTAINER: 'false' }

function load(t: Parameters<Parameters<typeof t.test>[1]>[0], yaml: string) {
  const dir = tmpDir(t)
  fs.writeFileSync(path.join(dir, 'infra-sync.config.yaml'), `secret: ${LONG}\n${yaml}`)
  return () => loadConfig(HOST_MACHINE, dir)
}

t.test('the server windows and the emergency sources are read', async (t) => {
  const c = load(t, `windows:\n  - { kind: deny, schedule: "0 0 * * 6", duration: 48h, timeZone: Europe/Berlin }\nsources:\n  Acme/Orders: { secret: ${LONG}, emergency: true }\n  acme/web: { secret: ${LONG} }\n`)()
  t.same(c.windows, [{ kind: 'deny', schedule: '0 0 * * 6', duration: '48h', timeZone: 'Europe/Berlin' }])
  t.same([...c.emergencySources], ['acme/orders'])
})

t.test('no windows: an empty list, and no emergency source', async (t) => {
  const c = load(t, '')()
  t.same(c.windows, [])
  t.equal(c.emergencySources.size, 0)
})

t.test('a bad window is CONFIG_INVALID, naming it', async (t) => {
  const cases: [string, string][] = [
    ['{ kind: allow, schedule: "61 9 * * *", duration: 8h }', 'windows[1].schedule'],
    ['{ kind: allow, schedule: "0 9 * * *", duration: 8h, timeZone: Mars/Olympus }', 'windows[1].timeZone'],
    ['{ kind: allow, schedule: "0 9 * * *", duration: soon }', 'windows[1].duration'],
  ]
  for (const [bad, where] of cases) {
    const run = load(t, `windows:\n  - { kind: deny, schedule: "0 0 * * 6", duration: 48h }\n  - ${bad}\n`)
    t.throws(run, { code: 'CONFIG_INVALID', data: { path: where } }, where)
  }
  t.throws(load(t, 'windows:\n  - { kind: maybe, schedule: "0 0 * * 6", duration: 48h }\n'), { code: 'CONFIG_INVALID' }, 'kind, by the schema')
})
