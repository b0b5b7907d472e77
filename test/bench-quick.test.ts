import { spawnSync } from 'node:child_process'
import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { tmpDir } from './helpers/tmp.js'

/**
 * `npm run bench -- --quick`, once, so the benchmark cannot rot. Nothing here
 * looks at a time: only that every scenario ran and reported.
 */
t.test('the benchmark runs end to end in quick mode', async (t) => {
  const out = path.join(tmpDir(t), 'results.md')
  const root = path.resolve(import.meta.dirname, '..')
  const r = spawnSync(process.execPath, ['--import', '@tapjs/typescript/import', 'bench/run.ts', '--quick', '--out', out], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, TS_NODE_TRANSPILE_ONLY: '1' },
    timeout: 240_000,
  })
  t.equal(r.status, 0, r.stderr.slice(-2000))
  const md = fs.readFileSync(out, 'utf8')
  for (const section of ['## Targets', '## Event → pushed commit', '## Intake', '## Burst', '## Scale', '## Side by side with what teams do today', '## Git transports', '### Promotion']) t.match(md, section)
  t.match(md, /Quick mode/)
  t.match(md, /\| 0 lost, 0 duplicated, 0 services not at their last tag \|/, 'the burst lost and duplicated nothing')
  t.notMatch(md, /NaN|undefined/, 'every figure was measured')
})
