// The HTTP/2 sessions from the meter to the app (h2c, prior knowledge, as gRPC uses inside a
// Pod): calls are multiplexed on as few sessions as the app's stream limit allows; a session
// the app sends GOAWAY on takes no new calls and goes once its calls end.
import {
  type ClientHttp2Session,
  type ClientHttp2Stream,
  connect,
  type OutgoingHttpHeaders,
} from 'node:http2'

/** Opens streams to the app on pooled sessions. */
export interface H2Pool {
  /** Opens a stream; errors (the app refusing connections too) arrive on the stream. */
  request(headers: OutgoingHttpHeaders): ClientHttp2Stream
  /** Closes every session once its streams end. */
  close(): Promise<void>
}

interface Entry {
  session: ClientHttp2Session
  /** Streams opened on the session and not closed yet. */
  active: number
}

// Until the app's SETTINGS arrive, a new session is given no more streams than every server
// takes (RFC 9113 section 6.5.2 recommends allowing at least 100).
const FIRST_STREAMS = 100

/** A pool of sessions to `origin` (http://HOST:PORT). */
export function createH2Pool(origin: string): H2Pool {
  const entries = new Set<Entry>()
  const open = (): Entry => {
    // No push: the meter forwards responses to requests, nothing the client did not ask for.
    const session = connect(origin, { settings: { enablePush: false } })
    const entry: Entry = { session, active: 0 }
    entries.add(entry)
    // A failed session fails its streams, which report it; the session itself only leaves.
    session.on('error', () => {})
    session.once('goaway', () => entries.delete(entry))
    session.once('close', () => entries.delete(entry))
    return entry
  }
  const acquire = (): Entry => {
    for (const entry of entries) if (hasRoom(entry)) return entry
    return open()
  }
  return {
    request: (headers) => {
      const entry = acquire()
      const stream = entry.session.request(headers, { waitForTrailers: true })
      entry.active++
      stream.once('close', () => {
        entry.active--
      })
      return stream
    },
    close: async () => {
      const closing = [...entries].map(({ session }) => {
        if (session.destroyed) return Promise.resolve()
        const closed = new Promise<void>((resolve) => session.once('close', () => resolve()))
        session.close()
        return closed
      })
      entries.clear()
      await Promise.all(closing)
    },
  }
}

function hasRoom({ session, active }: Entry): boolean {
  if (session.closed || session.destroyed) return false
  const limit = session.remoteSettings.maxConcurrentStreams ?? FIRST_STREAMS
  return active < (session.connecting ? FIRST_STREAMS : limit)
}
