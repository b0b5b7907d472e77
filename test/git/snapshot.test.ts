import t from 'tap'
import { ObjectStore } from '../../src/git/object-store.js'
import { GitSnapshot } from '../../src/git/snapshot.js'
import { tmpDir } from '../helpers/tmp.js'

// Small directories are searched, large ones (services/ has a folder per service) looked up by name: both must answer alike.
for (const size of [10, 300]) {
  t.test(`a directory of ${size} entries: lookups by name, a missing name, a name that is not UTF-8`, async (t) => {
    const store = new ObjectStore(tmpDir(t))
    const blob = (s: string) => store.putBlob(Buffer.from(s))
    const items = Array.from({ length: size }, (_, i) => ({ mode: '100644', path: `svc-${String(i).padStart(4, '0')}`, oid: blob(`${i}\n`), type: 'blob' as const }))
    // A name whose bytes are not UTF-8 has a text label; the label never names it.
    items.push({ mode: '100644', path: 'notes-\ufffd.txt', oid: blob('raw\n'), type: 'blob', raw: Buffer.from('notes-\xe9.txt', 'latin1') } as never)
    const dir = store.putTree(items.sort((a, b) => (a.path < b.path ? -1 : 1)))
    const root = store.putTree([{ mode: '40000', path: 'services', oid: dir, type: 'tree' }])
    const commit = store.putCommit({ tree: root, parents: [], author: 'a <a@x> 0 +0000', committer: 'a <a@x> 0 +0000', message: 'x\n' })
    const snap = await GitSnapshot.at(store, commit)
    const last = `svc-${String(size - 1).padStart(4, '0')}`
    t.equal((await snap.entry(`services/${last}`))?.oid, blob(`${size - 1}\n`))
    t.equal((await snap.entry('services/svc-0000'))?.oid, blob('0\n'))
    t.equal(await snap.entry('services/nope'), null)
    t.equal(await snap.entry('services/notes-\ufffd.txt'), null, 'the label of a raw name is not its name')
    t.equal(await snap.treeId('services'), dir)
    t.equal((await snap.list('services'))?.length, size, 'the raw name is not offered')
  })
}
