// The servers the benchmarks load, each in a process of its own (forked with an IPC channel):
//   ours  the webhook as `serve` builds it (built-in catalog, no namespaces), logging off;
//   bare  Fastify on the same TLS and body limit that parses the same AdmissionReview and answers
//         a constant allowed response with the request uid: everything but the injection.
// The parent learns the port from the first message and may ask for `memory` (after a GC when
// the child runs with --expose-gc), `cpu` (the CPU time the child has used, user and system) or
// `close` (the child exits, writing a --cpu-prof profile if asked to).
import { fork } from 'node:child_process'
import { once } from 'node:events'
import type { AddressInfo } from 'node:net'
import { join } from 'node:path'
import Fastify, { type FastifyInstance } from 'fastify'
import { noNamespaces } from '../src/admission/namespaces.ts'
import { loadCatalog } from '../src/catalog/load.ts'
import { BODY_LIMIT, buildServer } from '../src/server.ts'
import type { ServingCertificate } from '../src/tls/certificates.ts'

export type ServerKind = 'ours' | 'bare'

export interface Memory {
  rss: number
  heapUsed: number
  heapTotal: number
  external: number
  arrayBuffers: number
}

export interface ChildServer {
  kind: ServerKind
  port: number
  /** The child's memory, after a full GC if it was started with --expose-gc. */
  memory(): Promise<Memory>
  /** CPU time the child has used so far, user and system, in microseconds. */
  cpu(): Promise<number>
  close(): Promise<void>
}

type Message =
  | { type: 'listening'; port: number }
  | { type: 'memory'; memory: Memory }
  | { type: 'cpu'; micros: number }

/** Forks `bench/servers.ts` as a `kind` server on 127.0.0.1 with `certificate`. */
export async function startChild(
  kind: ServerKind,
  certificate: ServingCertificate,
  execArgv: string[] = [],
): Promise<ChildServer> {
  const script = join(import.meta.dirname, 'servers.ts')
  const child = fork(script, ['child', kind], {
    execArgv,
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  })
  const exited = once(child, 'exit')
  child.send({ cert: certificate.cert, key: certificate.key })
  const next = async (type: Message['type']): Promise<Message> => {
    const [message] = (await Promise.race([once(child, 'message'), exited.then(() => [])])) as [
      Message?,
    ]
    if (message?.type !== type)
      throw new Error(`${kind} server: expected ${type}, got ${JSON.stringify(message)}`)
    return message
  }
  const listening = await next('listening')
  return {
    kind,
    port: listening.type === 'listening' ? listening.port : 0,
    async memory() {
      child.send({ type: 'memory' })
      const message = await next('memory')
      if (message.type !== 'memory') throw new Error('unreachable')
      return message.memory
    },
    async cpu() {
      child.send({ type: 'cpu' })
      const message = await next('cpu')
      if (message.type !== 'cpu') throw new Error('unreachable')
      return message.micros
    },
    async close() {
      if (child.exitCode !== null) return
      child.send({ type: 'close' })
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000)
      await exited
      clearTimeout(timer)
    },
  }
}

/** The bare server: same Fastify, TLS settings and body limit; no checks and no injection. */
export function bareServer(tls: { cert: string; key: string }): FastifyInstance {
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    https: { ...tls, minVersion: 'TLSv1.2' },
  })
  app.post('/mutate', async (request) => {
    const { uid } = (request.body as { request: { uid: string } }).request
    return {
      apiVersion: 'admission.k8s.io/v1',
      kind: 'AdmissionReview',
      response: { uid, allowed: true },
    }
  })
  return app
}

async function runChild(kind: ServerKind) {
  const [tls] = (await once(process, 'message')) as [{ cert: string; key: string }]
  let app: FastifyInstance
  if (kind === 'bare') app = bareServer(tls)
  else {
    const loaded = loadCatalog(undefined, 'ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-bench')
    if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
    const { catalog } = loaded
    app = buildServer({ catalog: () => catalog, namespaces: noNamespaces, tls })
  }
  await app.listen({ port: 0, host: '127.0.0.1' })
  const send = (message: Message) => process.send?.(message)
  send({ type: 'listening', port: (app.server.address() as AddressInfo).port })
  process.on('message', async (message: { type: string }) => {
    if (message.type === 'memory') {
      globalThis.gc?.()
      const { rss, heapUsed, heapTotal, external, arrayBuffers } = process.memoryUsage()
      send({ type: 'memory', memory: { rss, heapUsed, heapTotal, external, arrayBuffers } })
    } else if (message.type === 'cpu') {
      const { user, system } = process.cpuUsage()
      send({ type: 'cpu', micros: user + system })
    } else if (message.type === 'close') {
      await app.close()
      process.exit(0)
    }
  })
  // Never outlive the parent, whatever happens to it.
  process.on('disconnect', () => process.exit(0))
}

if (process.argv[2] === 'child') await runChild(process.argv[3] === 'bare' ? 'bare' : 'ours')
