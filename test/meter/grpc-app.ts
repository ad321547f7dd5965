// A real gRPC server (@grpc/grpc-js over h2c) to put behind the meter, and a client for it.
// Messages are raw bytes (no protobuf): the meter never reads them, and the calls are what
// matters: unary, server-streaming, an error status, a call that waits to be cancelled.
import * as grpc from '@grpc/grpc-js'
import type { Test } from 'tap'

const bytes = { serialize: (b: Buffer) => b, deserialize: (b: Buffer) => b }

function method(name: string, responseStream: boolean): grpc.MethodDefinition<Buffer, Buffer> {
  return {
    path: `/test.Echo/${name}`,
    requestStream: false,
    responseStream,
    requestSerialize: bytes.serialize,
    requestDeserialize: bytes.deserialize,
    responseSerialize: bytes.serialize,
    responseDeserialize: bytes.deserialize,
  }
}

/** The service: its methods by the name the generic client calls them. */
export const ECHO_SERVICE = {
  /** Answers with the request. */
  Echo: method('Echo', false),
  /** Streams the request back as many times as its first byte says; over 10, fails after two. */
  Repeat: method('Repeat', true),
  /** Fails with NOT_FOUND, without a message (a trailers-only response). */
  Fail: method('Fail', false),
  /** Never answers; the call ends when the client cancels it. */
  Hang: method('Hang', true),
} satisfies grpc.ServiceDefinition

export interface GrpcApp {
  port: number
  /** Resolves when the app sees a call to Hang cancelled. */
  hangCancelled: Promise<void>
  /** Resolves when a call to Hang has reached the app. */
  hangArrived: Promise<void>
}

/** Starts the gRPC app on a loopback port, shut down at teardown. */
export async function startGrpcApp(t: Test): Promise<GrpcApp> {
  const server = new grpc.Server()
  let cancelled = () => {}
  let arrived = () => {}
  const hangCancelled = new Promise<void>((resolve) => {
    cancelled = resolve
  })
  const hangArrived = new Promise<void>((resolve) => {
    arrived = resolve
  })
  server.addService(ECHO_SERVICE, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, done: grpc.sendUnaryData<Buffer>) =>
      done(null, call.request),
    Repeat: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const times = call.request[0] ?? 0
      for (let i = 0; i < Math.min(times, 2); i++) call.write(call.request)
      if (times > 10)
        call.emit('error', { code: grpc.status.RESOURCE_EXHAUSTED, details: 'too many' })
      else {
        for (let i = 2; i < times; i++) call.write(call.request)
        call.end()
      }
    },
    Fail: (_call: unknown, done: grpc.sendUnaryData<Buffer>) =>
      done({ code: grpc.status.NOT_FOUND, details: 'no such thing' }),
    Hang: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      call.on('cancelled', cancelled)
      arrived()
    },
  })
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (error, bound) =>
      error ? reject(error) : resolve(bound),
    ),
  )
  t.teardown(() => server.forceShutdown())
  return { port, hangCancelled, hangArrived }
}

const EchoClient = grpc.makeGenericClientConstructor(ECHO_SERVICE, 'Echo')

/** The generic client of ECHO_SERVICE, methods by name, closed at teardown. */
export type EchoClient = InstanceType<typeof EchoClient> &
  Record<keyof typeof ECHO_SERVICE, (...args: unknown[]) => unknown>

/** A gRPC client for the service at 127.0.0.1:`port`, closed at teardown. */
export function echoClient(t: Test, port: number): EchoClient {
  const client = new EchoClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure())
  t.teardown(() => client.close())
  return client as EchoClient
}

/** A unary call: the answer, or the error with its code. */
export function unary(
  client: EchoClient,
  name: 'Echo' | 'Fail',
  request: Buffer,
): Promise<{ response?: Buffer; error?: grpc.ServiceError }> {
  return new Promise((resolve) => {
    client[name](request, (error: grpc.ServiceError | null, response?: Buffer) =>
      resolve(error ? { error } : { response: response as Buffer }),
    )
  })
}

/** A server-streaming call: every message, then its status. */
export function streamed(
  client: EchoClient,
  request: Buffer,
): Promise<{ messages: Buffer[]; status: grpc.StatusObject }> {
  return new Promise((resolve) => {
    const call = client.Repeat(request) as grpc.ClientReadableStream<Buffer>
    const messages: Buffer[] = []
    call.on('data', (message: Buffer) => messages.push(message))
    call.on('error', () => {}) // the status says it
    call.on('status', (status: grpc.StatusObject) => resolve({ messages, status }))
  })
}

export { grpc }
