// The bytes of request bodies the webhook holds at once are bounded: a request reserves its
// declared length before its body is read and gives it back when answered or abandoned; one that
// does not fit beside the others is answered 503 at once. Real sockets, so that a body can be
// left half sent.
import { once } from 'node:events'
import { connect, type Socket } from 'node:net'
import t, { type Test } from 'tap'
import { noNamespaces } from '../src/admission/namespaces.ts'
import { buildServer } from '../src/server.ts'
import { builtinCatalog } from './helpers/config.ts'
import { until } from './helpers/eventually.ts'
import { podReview } from './helpers/reviews.ts'

const body = JSON.stringify(podReview('shop', { 'patterns/sidecar': 'metrics' }))
const BUDGET = Math.floor(body.length * 1.5)

async function server(t: Test) {
  const app = buildServer({
    catalog: () => builtinCatalog,
    namespaces: noNamespaces,
    bodyBudget: BUDGET,
  })
  t.teardown(() => app.close())
  await app.listen({ port: 0, host: '127.0.0.1' })
  const { port } = app.server.address() as { port: number }
  return port
}

const head = (length: number) =>
  `POST /mutate HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${length}\r\n\r\n`

/** A request whose head and first half of the body are sent, the rest held back. */
async function halfSent(port: number): Promise<Socket> {
  const socket = connect(port, '127.0.0.1')
  await once(socket, 'connect')
  socket.write(head(body.length) + body.slice(0, body.length / 2))
  return socket
}

/** Sends a whole request on a new connection and returns the status line's code. */
async function status(port: number, extra = ''): Promise<number> {
  const socket = connect(port, '127.0.0.1')
  socket.end(`${head(body.length)}${body}${extra}`)
  let answer = ''
  for await (const chunk of socket) answer += chunk
  return Number(answer.split(' ')[1])
}

t.test('a body that does not fit beside those in flight is refused at once', async (t) => {
  const port = await server(t)
  const first = await halfSent(port)
  t.teardown(() => first.destroy())
  // The first reservation is made when its head is read; wait until a second is refused.
  await until(async () => (await status(port)) === 503, {
    what: 'a second review to be refused while the first holds the budget',
  })
  let answer = ''
  first.on('data', (chunk) => {
    answer += chunk
  })
  first.end(body.slice(body.length / 2))
  await once(first, 'close')
  t.match(answer, /^HTTP\/1.1 200/, 'the first is answered when its body arrives')
  t.equal(await status(port), 200, 'and the budget is free again')
})

t.test('an abandoned body gives its reservation back', async (t) => {
  const port = await server(t)
  const first = await halfSent(port)
  await until(async () => (await status(port)) === 503, { what: 'the budget to be held' })
  first.destroy()
  await until(async () => (await status(port)) === 200, {
    what: 'the abandoned reservation to be released',
  })
  t.pass('released')
})

t.test('a request alone always fits, and requests without a body reserve nothing', async (t) => {
  const port = await server(t)
  const big = JSON.stringify(podReview('shop', { pad: 'x'.repeat(BUDGET * 2) }))
  const socket = connect(port, '127.0.0.1')
  socket.end(`${head(big.length)}${big}`)
  let answer = ''
  for await (const chunk of socket) answer += chunk
  t.match(answer, /^HTTP\/1.1 200/)
  const first = await halfSent(port)
  t.teardown(() => first.destroy())
  await until(async () => (await status(port)) === 503, { what: 'the budget to be held' })
  const health = connect(port, '127.0.0.1')
  health.end('GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n')
  let healthAnswer = ''
  for await (const chunk of health) healthAnswer += chunk
  t.match(healthAnswer, /^HTTP\/1.1 200/, 'a health check is never refused for want of budget')
})
