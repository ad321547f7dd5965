// The metrics of the TCP relay (`--protocol=tcp`), `meter_tcp_*` by the scheme of
// base-metrics.ts: what can be known of a connection without reading the protocol it carries.
import { Counter, Gauge, Histogram, Registry } from 'prom-client'
import { type BaseMetrics, createBaseMetrics } from './base-metrics.ts'

/** The instruments of one relayed connection, and the relay's own. */
export interface TcpMetrics extends BaseMetrics {
  readonly registry: Registry
  opened(): void
  /** The connection ended, both sides closed, `seconds` after it was accepted. */
  closed(seconds: number): void
  received(bytes: number): void
  sent(bytes: number): void
}

// Connections last from a health check's milliseconds to a pool's hour (the idle timeout).
const CONNECTION_BUCKETS = [0.001, 0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600]

/** Creates the relay's metrics, with the process metrics, on a registry of their own. */
export function createTcpMetrics(): TcpMetrics {
  const registry = new Registry()
  const base = createBaseMetrics(registry)
  const registers = [registry]
  const opened = new Counter({
    name: 'meter_tcp_connections_opened_total',
    help: 'Client connections accepted and relayed to the app (those refused at the cap are in meter_connections_dropped_total).',
    registers,
  })
  const active = new Gauge({
    name: 'meter_tcp_connections_active',
    help: 'Client connections open now.',
    registers,
  })
  const duration = new Histogram({
    name: 'meter_tcp_connection_duration_seconds',
    help: 'Time from a client connection being accepted to both of its sides being closed.',
    buckets: CONNECTION_BUCKETS,
    registers,
  })
  const received = new Counter({
    name: 'meter_tcp_received_bytes_total',
    help: 'Bytes received from clients (and passed on to the app).',
    registers,
  })
  const sent = new Counter({
    name: 'meter_tcp_sent_bytes_total',
    help: 'Bytes sent to clients (received from the app).',
    registers,
  })
  return {
    registry,
    ...base,
    opened: () => {
      opened.inc()
      active.inc()
    },
    closed: (seconds) => {
      active.dec()
      duration.observe(seconds)
    },
    received: (bytes) => received.inc(bytes),
    sent: (bytes) => sent.inc(bytes),
  }
}
