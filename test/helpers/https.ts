// A real webhook on 127.0.0.1 with real TLS: certificates generated into a temporary folder,
// a keep-alive client that trusts only that CA, and teardown registered with the test.
import { mkdtemp, rm } from 'node:fs/promises'
import type { AddressInfo } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'node:tls'
import type { FastifyBaseLogger } from 'fastify'
import type { Test } from 'tap'
import { Agent, request } from 'undici'
import { type NamespaceLookup, noNamespaces } from '../../src/admission/namespaces.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import type { WebhookMetrics } from '../../src/observability/metrics.ts'
import { buildServer } from '../../src/server.ts'
import type { ConnectionLimits } from '../../src/server-limits.ts'
import { loadOrCreate, type ServingCertificate, serviceNames } from '../../src/tls/certificates.ts'
import { testCatalog } from './config.ts'

export interface WebhookOptions {
  catalog?: () => Catalog
  namespaces?: NamespaceLookup
  ready?: () => boolean
  metrics?: WebhookMetrics
  logger?: FastifyBaseLogger
  /** What it serves; by default a certificate generated for the test. */
  certificate?: ServingCertificate
  /** Shorter deadlines or a lower cap than the server's own. */
  limits?: Partial<ConnectionLimits>
}

export interface RunningWebhook {
  origin: string
  port: number
  ca: string
  /** The listening TLS server, for swapping its certificate. */
  server: Server
  /** TCP connections the server has accepted so far. */
  connections(): number
  post(
    path: string,
    body: string | Buffer,
    contentType?: string,
  ): Promise<{ status: number; json: unknown }>
  get(path: string): Promise<{ status: number; json: unknown }>
}

/** Starts the webhook over TLS on an ephemeral loopback port for the duration of `t`. */
export async function startWebhook(t: Test, options: WebhookOptions = {}): Promise<RunningWebhook> {
  const certificate = options.certificate ?? (await testCertificate(t))
  const { catalog = () => testCatalog, namespaces = noNamespaces } = options
  const app = buildServer({
    catalog,
    namespaces,
    tls: certificate,
    ...(options.ready && { ready: options.ready }),
    ...(options.metrics && { metrics: options.metrics }),
    ...(options.logger && { logger: options.logger }),
    ...(options.limits && { limits: options.limits }),
  })
  let accepted = 0
  app.server.on('secureConnection', () => accepted++)
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as AddressInfo
  const ca = certificate.ca ?? ''
  const agent = new Agent({ connect: { ca }, connections: 1, pipelining: 1 })
  t.teardown(async () => {
    await agent.close()
    await app.close()
  })
  const origin = `https://127.0.0.1:${port}`
  const send = async (
    method: 'GET' | 'POST',
    path: string,
    body?: string | Buffer,
    type?: string,
  ) => {
    const headers = type ? { 'content-type': type } : {}
    const res = await request(`${origin}${path}`, {
      method,
      body: body ?? null,
      headers,
      dispatcher: agent,
    })
    const text = await res.body.text()
    return { status: res.statusCode, json: text ? JSON.parse(text) : undefined }
  }
  return {
    origin,
    port,
    ca,
    server: app.server as unknown as Server,
    connections: () => accepted,
    post: (path, body, contentType = 'application/json') => send('POST', path, body, contentType),
    get: (path) => send('GET', path),
  }
}

/** A certificate for the webhook's names, generated into a folder removed when `t` ends. */
async function testCertificate(t: Test): Promise<ServingCertificate> {
  const dir = await mkdtemp(join(tmpdir(), 'sidecar-patterns-test-'))
  t.teardown(() => rm(dir, { recursive: true, force: true }))
  const names = serviceNames('sidecar-patterns', 'sidecar-patterns')
  return (await loadOrCreate(dir, names)).certificate
}
