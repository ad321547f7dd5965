// `sidecar-patterns version` against the fake API server when the server cannot be asked: one
// that never answers is given up on at the deadline, one that refuses the credentials says so;
// either way the client's version is printed first and the exit code is 1.
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import t, { type Test } from 'tap'
import { main } from '../../src/cli/main.ts'
import { type FakeApiServer, fakeApiServerFor } from '../helpers/fake-apiserver.ts'
import { captureIo } from '../helpers/io.ts'

async function kubeconfigFile(t: Test, api: FakeApiServer, token?: string): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-version-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const file = join(dir, 'kubeconfig')
  await writeFile(file, api.kubeConfig(token === undefined ? {} : { token }).exportConfig())
  return file
}

t.test('a server that never answers is given up on at --request-timeout, exit 1', async (t) => {
  const api = await fakeApiServerFor(t)
  const answered = new Promise<never>(() => {})
  api.beforeNext('GET', '/version', () => answered)
  const run = captureIo()
  const args = [
    'version',
    '--kubeconfig',
    await kubeconfigFile(t, api),
    '--request-timeout',
    // Long enough for the request to reach the server on a loaded machine: that it was asked is
    // checked below.
    '1s',
  ]
  t.equal(await main(args, run.io), 1)
  t.equal(run.out(), 'Client Version: 0.0.0-test\n')
  t.equal(
    run.err(),
    `error: the API server at ${api.url} does not answer: GET /version: no answer within 1s\n`,
  )
  t.match(
    api.requests().map((r) => [r.method, r.path, r.status]),
    [['GET', '/version', undefined]],
    'asked once, and still unanswered',
  )
})

t.test('a server that refuses the credentials: its answer, exit 1', async (t) => {
  const api = await fakeApiServerFor(t)
  const run = captureIo()
  const kubeconfig = await kubeconfigFile(t, api, 'stolen')
  t.equal(await main(['version', '--kubeconfig', kubeconfig], run.io), 1)
  t.equal(run.out(), 'Client Version: 0.0.0-test\n')
  t.equal(
    run.err(),
    `error: the API server at ${api.url} does not answer: HTTP 401: Unauthorized\n`,
  )
})

t.test('--request-timeout takes a duration longer than 0s', async (t) => {
  for (const value of ['10', '0s', '']) {
    const run = captureIo()
    t.equal(await main(['version', '--request-timeout', value], run.io), 2, value)
    t.match(run.err(), /--request-timeout: "[^"]*" is (not a duration|not longer than 0s)/, value)
    t.equal(run.out(), '', value)
  }
})
