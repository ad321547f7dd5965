// A certificate swapped into the running webhook server (buildServer, real TLS): a connection
// opened before the swap keeps working on the certificate it negotiated, a new connection gets
// the new one, and nothing restarts. End to end with the certificate manager's renewal.
import { Agent, get } from 'node:https'
import type { Server, TLSSocket } from 'node:tls'
import { pino } from 'pino'
import { Registry } from 'prom-client'
import t, { type Test } from 'tap'
import { certificateManager } from '../../src/tls/certificate-manager.ts'
import { createSet } from '../../src/tls/issue.ts'
import { useCertificate } from '../../src/tls/secure-context.ts'
import { startWebhook } from '../helpers/https.ts'
import { clock, DAY_MS, fakeCluster, fingerprint, names, replica } from './support.ts'

/** GET /healthz through `agent`: the status, the connection used and the certificate it saw. */
function healthz(agent: Agent, port: number) {
  return new Promise<{ status: number; socket: TLSSocket; certificate: string }>(
    (resolve, reject) => {
      get({ host: '127.0.0.1', port, path: '/healthz', agent }, (res) => {
        // Read now: once the body has ended, the socket goes back to the agent's pool.
        const socket = res.socket as TLSSocket
        const certificate = socket.getPeerCertificate().fingerprint256
        res.resume()
        res.on('end', () => resolve({ status: res.statusCode ?? 0, socket, certificate }))
      }).on('error', reject)
    },
  )
}

function keepAliveAgent(t: Test, ca: string[]) {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, ca })
  t.teardown(() => agent.destroy())
  return agent
}

t.test(
  'a keep-alive connection outlives the swap; a new one gets the new certificate',
  async (t) => {
    const [a, b] = await Promise.all([createSet(names, new Date()), createSet(names, new Date())])
    const { server, port, connections } = await startWebhook(t, { certificate: { ...a } })
    const old = keepAliveAgent(t, [a.ca, b.ca])
    const before = await healthz(old, port)
    t.same([before.status, before.certificate], [200, fingerprint(a.cert)])

    useCertificate(server, b)

    const reused = await healthz(old, port)
    t.equal(reused.status, 200, 'the open connection keeps working')
    t.equal(reused.socket, before.socket, 'on the same socket')
    t.equal(reused.certificate, fingerprint(a.cert), 'with the certificate it negotiated')
    const fresh = await healthz(keepAliveAgent(t, [a.ca, b.ca]), port)
    t.same(
      [fresh.status, fresh.certificate],
      [200, fingerprint(b.cert)],
      'a new connection: new one',
    )
    t.equal(connections(), 2, 'two TLS connections in all: nothing was dropped and reopened')
  },
)

t.test('the swap keeps the minimum TLS version it is given', async (t) => {
  const [a, b] = await Promise.all([createSet(names, new Date()), createSet(names, new Date())])
  const { server, port } = await startWebhook(t, { certificate: { ...a } })
  useCertificate(server, b, 'TLSv1.3')
  const tls12 = new Agent({ ca: [b.ca], maxVersion: 'TLSv1.2' })
  t.teardown(() => tls12.destroy())
  await t.rejects(healthz(tls12, port), { code: 'EPROTO', message: /alert protocol version/ })
})

t.test('a renewal by the certificate manager reaches new connections', async (t) => {
  const fake = await fakeCluster(t)
  // The Secret was created 250 days ago, so its serving certificate is due for renewal today.
  const time = clock(new Date(Math.floor(Date.now() / 1000) * 1000 - 250 * DAY_MS))
  let server: Server | undefined
  const manager = certificateManager({
    ...replica(fake, { now: time.now }),
    registry: new Registry(),
    onCertificate: (certificate) => server && useCertificate(server, certificate),
    log: pino({ level: 'silent' }),
  })
  t.teardown(() => manager.stop())
  const first = await manager.start()
  time.advance(250 * DAY_MS)
  const started = await startWebhook(t, { certificate: first })
  server = started.server
  const old = keepAliveAgent(t, [first.ca ?? ''])
  t.equal((await healthz(old, started.port)).certificate, fingerprint(first.cert))

  await manager.check()

  const renewed = manager.current()
  t.not(renewed?.cert, first.cert, 'renewed')
  t.equal((await healthz(old, started.port)).status, 200, 'the open connection keeps working')
  const fresh = await healthz(keepAliveAgent(t, [renewed?.ca ?? '']), started.port)
  t.equal(fresh.certificate, fingerprint(renewed?.cert ?? ''))
})
