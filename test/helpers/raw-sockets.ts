// Connections written to by hand, for what a server does with a client that misbehaves: a head
// that never ends, a connection that says nothing. What comes back is kept, and the server's
// close is waited for with a deadline.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import type { Test } from 'tap'
import { within } from './eventually.ts'

/**
 * A TCP connection to 127.0.0.1:`port`, established, destroyed at teardown. With
 * `allowHalfOpen`, it keeps its own side open when the server ends its side, as a client that
 * means harm does.
 */
export async function rawConnection(
  t: Test,
  port: number,
  { allowHalfOpen = false } = {},
): Promise<Socket> {
  const socket = connect({ port, host: '127.0.0.1', allowHalfOpen })
  t.teardown(() => socket.destroy())
  await within(once(socket, 'connect'), { what: `a connection to port ${port}` })
  return socket
}

/** Starts keeping what `socket` receives; `closed` resolves with all of it, as text, once the
 *  other side has closed the connection, or fails naming `what` after `timeoutMs`. */
export function watchClose(socket: Duplex, what: string, timeoutMs?: number) {
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk
  })
  // A reset is a close as well; the test looks at what arrived before it.
  socket.on('error', () => {})
  const close = new Promise<string>((resolve) => socket.once('close', () => resolve(received)))
  return {
    closed: () => within(close, { what, ...(timeoutMs !== undefined && { timeoutMs }) }),
    received: () => received,
  }
}

/** What `socket` receives until the other side ends its half, as text; fails naming `what`. */
export function receivedUntilEnd(socket: Duplex, what: string): Promise<string> {
  let received = ''
  socket.on('data', (chunk: Buffer) => {
    received += chunk
  })
  const end = new Promise<string>((resolve) => socket.once('end', () => resolve(received)))
  return within(end, { what })
}
