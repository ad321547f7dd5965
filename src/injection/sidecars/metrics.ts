// metrics: the metering reverse proxy (`sidecar-patterns meter`) in front of the app's port,
// counting requests, statuses, latency and bytes, and serving them to Prometheus on its own port.
import { defineSidecar, upstreamOf } from '../sidecar.ts'
import { port, portRef } from '../validators.ts'
import { resources, restricted } from './hardening.ts'

export const METER_UID = 65532

export const metrics = defineSidecar({
  name: 'metrics',
  summary: 'metering reverse proxy in front of the app port, with Prometheus metrics',
  params: {
    port: {
      summary:
        'app port to measure, a number or a container port name (inferred if the app declares one)',
      validate: portRef,
      presence: 'optional',
    },
    'proxy-port': {
      summary: 'port the proxy listens on; point the Service at it (port name meter-http)',
      validate: port,
      presence: 'defaulted',
      default: '15080',
    },
    'metrics-port': {
      summary: 'port serving /metrics (port name meter-metrics)',
      validate: port,
      presence: 'defaulted',
      default: '15090',
    },
  },
  proxy: {
    appPort: (v) => v.port,
    appPortParam: 'port',
    listen: (v) => ({ port: v['proxy-port'], param: 'proxy-port' }),
  },
  listens: (v) => [
    { port: v['proxy-port'], param: 'proxy-port' },
    { port: v['metrics-port'], param: 'metrics-port' },
  ],
  appMountPaths: () => [],
  build: (v, context) => ({
    containers: [
      {
        name: context.containerName('patterns-metrics'),
        image: context.images.meter,
        args: [
          'meter',
          '--listen',
          `0.0.0.0:${v['proxy-port']}`,
          '--upstream',
          `http://127.0.0.1:${upstreamOf(context)}`,
          '--metrics-port',
          String(v['metrics-port']),
        ],
        ports: [
          { name: 'meter-http', containerPort: v['proxy-port'], protocol: 'TCP' },
          { name: 'meter-metrics', containerPort: v['metrics-port'], protocol: 'TCP' },
        ],
        readinessProbe: { httpGet: { path: '/healthz', port: 'meter-metrics' }, periodSeconds: 5 },
        resources: resources('32Mi', '128Mi'),
        securityContext: restricted(METER_UID),
      },
    ],
    initContainers: [],
    volumes: [],
    appMounts: [],
  }),
})
