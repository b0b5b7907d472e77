import fs from 'node:fs'
import path from 'node:path'
import t from 'tap'
import { HttpRemote } from '../../src/git/http-remote.js'
import { git, makeBareRepo } from '../helpers/git-cli.js'
import { startGitServer } from '../helpers/git-server.js'
import { tmpDir } from '../helpers/tmp.js'

/**
 * A thin pack over the wire: the second fetch brings a new version of a big
 * file as a delta against the version the clone already has; the clone's new
 * pack is completed with that base (as git index-pack --fix-thin) and git
 * itself finds the clone whole. Over protocol v2 and v0.
 */
const big = (v: number) => `${Array.from({ length: 400 }, (_, i) => `line ${i}: ${'z'.repeat(i % 31)}`).join('\n')}\nversion ${v}\n`

for (const protocol of [2, 0] as const) {
  t.test(`protocol v${protocol}: a thin pack is fetched, completed and indexed`, async (t) => {
    const dir = tmpDir(t)
    const bare = makeBareRepo(dir, { 'big.txt': big(0) })
    const server = await startGitServer(bare, { protocol })
    t.teardown(() => server.close())
    const remote = new HttpRemote({ url: server.url, branch: 'main', clonesDir: path.join(dir, 'clones') })
    t.teardown(() => remote.close())
    await remote.prepare()
    await remote.sync()
    const packDir = path.join(remote.gitdir, 'objects', 'pack')
    const before = new Set(fs.readdirSync(packDir))

    const work = path.join(dir, 'w')
    git(dir, 'clone', '-q', bare, work)
    fs.writeFileSync(path.join(work, 'big.txt'), big(1))
    git(work, 'commit', '-qam', 'v1')
    git(work, 'push', '-q', 'origin', 'main')
    const oldBlob = git(bare, 'rev-parse', 'main~1:big.txt').trim()
    const head = git(bare, 'rev-parse', 'main').trim()

    t.equal(await remote.sync(), head)
    const added = fs.readdirSync(packDir).filter((n) => n.endsWith('.idx') && !before.has(n))
    t.equal(added.length, 1, 'one new pack')
    const listing = git(packDir, 'verify-pack', '-v', added[0]!)
    // The old blob is not part of the new commit: it is in the new pack only because the pack was thin and was completed.
    t.match(listing, new RegExp(`^${oldBlob} blob`, 'm'), 'the delta base was appended to the pack')
    t.match(listing, /chain length = 1: [1-9]/, 'the new version is a delta in it')
    t.doesNotThrow(() => git(remote.gitdir, 'fsck', '--strict', '--no-dangling'), 'git finds the clone whole')
    t.equal((await remote.objects.read(git(bare, 'rev-parse', 'main:big.txt').trim())).content.toString(), big(1))
  })
}
