import t from 'tap'
import { checkPushReport, isLeaseFailure } from '../../src/git/push-report.js'
import { encodePktLine, FLUSH_PKT } from '../../src/git/pkt-line.js'

const REF = 'refs/heads/main'
const SECRET = 'ghs_installationtoken0123456789'

/** A receive-pack answer as git sends it with side-band-64k: the report on band 1, the remote's words on band 2. */
function answer(report: string[], said: string[] = []): Buffer {
  const inner = Buffer.concat([...report.map((l) => encodePktLine(`${l}\n`)), FLUSH_PKT])
  return Buffer.concat([
    ...said.map((l) => encodePktLine(Buffer.concat([Buffer.from([2]), Buffer.from(`${l}\n`)]))),
    encodePktLine(Buffer.concat([Buffer.from([1]), inner])),
    FLUSH_PKT,
  ])
}

const check = (body: Buffer) => () => checkPushReport({ body, ref: REF, sideBand: true, where: 'http://example/infra.git', secrets: [SECRET] })

t.test('ok is ok', async (t) => {
  t.doesNotThrow(check(answer(['unpack ok', `ok ${REF}`])))
})

t.test('the ref was elsewhere: PUSH_REJECTED, to re-plan', async (t) => {
  for (const reason of ['failed to update ref', 'failed to lock', 'stale info', 'fetch first', 'non-fast-forward', "cannot lock ref 'refs/heads/main': is at 1 but expected 2"]) {
    t.throws(check(answer(['unpack ok', `ng ${REF} ${reason}`])), { code: 'PUSH_REJECTED', retryable: true }, reason)
  }
})

t.test("the remote's own refusal: PUSH_REFUSED, not retryable, with what the remote said", async (t) => {
  const said = ['error: GH006: Protected branch update failed for refs/heads/main.', `error: token ${SECRET} is not allowed`]
  const e = (() => {
    try {
      check(answer(['unpack ok', `ng ${REF} protected branch hook declined`], said))()
    } catch (err) {
      return err as { code: string; retryable: boolean; data: { ref: string; reason: string }; message: string }
    }
  })()!
  t.match(e, { code: 'PUSH_REFUSED', retryable: false, data: { ref: REF } })
  t.match(e.data.reason, /protected branch hook declined/)
  t.match(e.data.reason, /GH006/)
  t.notMatch(`${e.message} ${e.data.reason}`, SECRET, 'our credentials are never repeated')

  t.throws(check(answer(['unpack ok', `ng ${REF} pre-receive hook declined`])), { code: 'PUSH_REFUSED' })
  t.throws(check(answer(['unpack index-pack abnormal exit', `ng ${REF} unpacker error`], ['fatal: pack exceeds maximum allowed size'])), { code: 'PUSH_REFUSED' })
})

t.test('no word about the ref, a fatal side-band message or a torn answer: GIT_REMOTE, the outcome unknown', async (t) => {
  t.throws(check(answer(['unpack ok'])), { code: 'GIT_REMOTE', retryable: true })
  t.throws(check(Buffer.concat([encodePktLine(Buffer.concat([Buffer.from([3]), Buffer.from('internal error\n')])), FLUSH_PKT])), { code: 'GIT_REMOTE', retryable: true })
  t.throws(check(Buffer.from('zzzz-not-pkt-lines')), { code: 'GIT_REMOTE' })
})

t.test('the list of lease words is not fooled by a hook', async (t) => {
  t.equal(isLeaseFailure('pre-receive hook declined'), false)
  t.equal(isLeaseFailure('protected branch hook declined'), false)
  t.equal(isLeaseFailure('failed to update ref'), true)
})
