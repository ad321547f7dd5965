// `meter` flags become one frozen configuration, or every error with its flag.
import t from 'tap'
import { parseMeterArgs } from '../../src/meter/config.ts'

const required = [
  '--listen',
  '0.0.0.0:15080',
  '--upstream',
  'http://127.0.0.1:8080',
  '--metrics-port',
  '15090',
]

t.test('the flags the webhook passes, with the defaults for the rest', async (t) => {
  const parsed = parseMeterArgs(required)
  if (parsed.ok !== true) throw new Error('must parse')
  t.same(parsed.value, {
    protocol: 'http',
    listen: { host: '0.0.0.0', port: 15080 },
    upstream: 'http://127.0.0.1:8080',
    metricsPort: 15090,
    routes: [],
    upstreamTimeoutMs: 30_000,
    drainTimeoutMs: 20_000,
    logLevel: 'info',
  })
  t.ok(Object.isFrozen(parsed.value))
  t.ok(Object.isFrozen(parsed.value.listen))
  t.ok(Object.isFrozen(parsed.value.routes))
})

t.test(
  'routes repeat in order; durations take ms, s and m; IPv6 listens in brackets',
  async (t) => {
    const parsed = parseMeterArgs([
      ...['--listen', '[::]:15080', '--upstream', 'http://localhost:3000/', '--metrics-port', '0'],
      ...['--route', '/api/users/:id', '--route', '/static/*', '--route', '/'],
      ...['--upstream-timeout', '500ms', '--drain-timeout', '2m', '--log-level', 'silent'],
    ])
    if (parsed.ok !== true) throw new Error(JSON.stringify(parsed))
    t.match(parsed.value, {
      listen: { host: '::', port: 15080 },
      upstream: 'http://localhost:3000',
      metricsPort: 0,
      routes: ['/api/users/:id', '/static/*', '/'],
      upstreamTimeoutMs: 500,
      drainTimeoutMs: 120_000,
      logLevel: 'silent',
    })
  },
)

t.test('every problem is reported with its flag', async (t) => {
  const parsed = parseMeterArgs([
    ...['--listen', 'localhost', '--upstream', 'https://app:8443', '--metrics-port', '70000'],
    ...['--route', 'api/:id', '--route', '/a/*/b', '--route', '/x/:1'],
    ...['--upstream-timeout', '30', '--drain-timeout', '0s', '--log-level', 'loud'],
  ])
  if (parsed.ok !== false) throw new Error('must fail')
  t.same(parsed.errors, [
    '--listen: "localhost" is not HOST:PORT, such as 0.0.0.0:15080',
    '--upstream: "https://app:8443" is not an http://HOST:PORT origin, such as http://127.0.0.1:8080',
    '--metrics-port: "70000" is not a port (0-65535)',
    '--route: "api/:id" must start with /; "/a/*/b" may only have * as its last segment; "/x/:1" has a parameter ":1" that is not :name (letters, digits, _)',
    '--upstream-timeout: "30" is not a duration such as 500ms, 30s or 2m',
    '--drain-timeout: "0s" is not a duration such as 500ms, 30s or 2m',
    '--log-level: "loud" is not one of fatal, error, warn, info, debug, trace, silent',
  ])
})

t.test('required flags, unknown flags, clashing ports and odd upstreams', async (t) => {
  const missing = parseMeterArgs([])
  t.same(missing.ok === false && missing.errors, [
    '--listen: is required',
    '--upstream: is required',
    '--metrics-port: is required',
  ])
  const unknown = parseMeterArgs([...required, '--port', '1'])
  t.match(unknown.ok === false && unknown.errors[0], /Unknown option '--port'/)
  const clash = parseMeterArgs([...required.slice(0, 4), '--metrics-port', '15080'])
  t.same(clash.ok === false && clash.errors, ['--metrics-port: 15080 is also the --listen port'])
  for (const upstream of [
    'http://127.0.0.1',
    'http://127.0.0.1:8080/app',
    'http://u:p@127.0.0.1:8080',
    'http://127.0.0.1:8080?x',
    'not a url',
  ]) {
    const parsed = parseMeterArgs([
      ...required.slice(0, 2),
      '--upstream',
      upstream,
      ...required.slice(4),
    ])
    t.equal(parsed.ok, false, upstream)
  }
  const twice = parseMeterArgs([...required, '--route', '/a', '--route', '/a'])
  t.same(twice.ok === false && twice.errors, ['--route: "/a" is given twice'])
})

t.test('one --route value may list several templates', async (t) => {
  const parsed = parseMeterArgs([...required, '--route', '/a/:id, /b/*,', '--route', '/c'])
  t.same(parsed.ok === true && parsed.value.routes, ['/a/:id', '/b/*', '/c'])
  const bad = parseMeterArgs([...required, '--route', '/a,/a'])
  t.same(bad.ok === false && bad.errors, ['--route: "/a" is given twice'])
})

t.test('--protocol takes http, http2, grpc or tcp, as the webhook renders it', async (t) => {
  for (const protocol of ['http', 'http2', 'grpc', 'tcp']) {
    const parsed = parseMeterArgs([...required, `--protocol=${protocol}`])
    t.equal(parsed.ok === true && parsed.value.protocol, protocol, protocol)
  }
  for (const protocol of ['HTTP', 'h2c', 'udp', '']) {
    const parsed = parseMeterArgs([...required, `--protocol=${protocol}`])
    t.same(parsed.ok === false && parsed.errors, [
      `--protocol: "${protocol}" is not one of http, http2, grpc, tcp`,
    ])
  }
})

t.test('--help wins over everything else', async (t) => {
  t.same(parseMeterArgs(['--listen', 'nonsense', '--help']), { ok: 'help' })
  t.same(parseMeterArgs(['-h']), { ok: 'help' })
})
