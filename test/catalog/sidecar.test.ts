// A catalog entry keeps the configuration it made for a parameter set, so that every Pod of a
// workload is not validated and digested anew: what it keeps must be what it would make, never
// changeable by the review that gets it, and bounded.
import fc from 'fast-check'
import t from 'tap'
import { CONFIGURATIONS_KEPT, MAX_KEPT_KEY } from '../../src/catalog/sidecar.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import { nameAllocator } from '../../src/injection/names.ts'
import type { ConfiguredSidecar, Mode } from '../../src/injection/sidecar.ts'
import { catalogFrom, SHIPPER_CATALOG } from '../helpers/config.ts'

const catalog = () => catalogFrom({ name: 'catalog.yaml', text: SHIPPER_CATALOG })

function configure(c: Catalog, params: Record<string, string>): ConfiguredSidecar {
  const configured = c.sidecars.get('shipper')?.configure(new Map(Object.entries(params)))
  if (!configured?.ok) throw new Error(`shipper did not configure: ${JSON.stringify(params)}`)
  return configured.sidecar
}

// What a configuration gives injection: its revision and its containers in either mode.
function rendered(sidecar: ConfiguredSidecar) {
  const build = (mode: Mode) =>
    sidecar.build({
      mode,
      upstream: undefined,
      containerName: nameAllocator([]),
      volumeName: nameAllocator([]),
    })
  return {
    native: { revision: sidecar.revision('native'), parts: build('native') },
    classic: { revision: sidecar.revision('classic'), parts: build('classic') },
    listens: sidecar.listens,
  }
}

t.test('a parameter set seen before gets the configuration made for it, frozen', async (t) => {
  const c = catalog()
  const first = configure(c, { endpoint: 'https://logs.example.com' })
  t.equal(configure(c, { endpoint: 'https://logs.example.com' }), first, 'the same one')
  t.not(configure(c, { endpoint: 'https://other.example.com' }), first)
  t.ok(Object.isFrozen(first) && Object.isFrozen(first.listens), 'frozen, with what it holds')
  t.throws(() => {
    ;(first.listens as unknown[]).push({ port: 1, param: '' })
  }, TypeError)
  t.same(rendered(first), rendered(configure(catalog(), { endpoint: 'https://logs.example.com' })))
})

t.test('any sequence of parameter sets configures as a fresh catalog would', async (t) => {
  const endpoints = fc.constantFrom('https://a.example.com', 'https://b.example.com', 'x$(Y)')
  const params = fc.record(
    { endpoint: endpoints, level: fc.constantFrom('info', 'debug', ' debug ') },
    { requiredKeys: ['endpoint'] },
  )
  fc.assert(
    fc.property(fc.array(params, { maxLength: CONFIGURATIONS_KEPT * 2 }), (sets) => {
      const kept = catalog()
      for (const set of sets)
        t.same(rendered(configure(kept, set)), rendered(configure(catalog(), set)))
    }),
    { numRuns: 30 },
  )
})

t.test('a parameter set longer than the memo keeps is configured each time', async (t) => {
  const c = catalog()
  // A string parameter takes up to 1024 characters; with its name this one is over the bound.
  const long = { endpoint: `https://logs.example.com/${'a'.repeat(MAX_KEPT_KEY - 40)}` }
  t.ok(JSON.stringify(Object.entries(long)).length > MAX_KEPT_KEY)
  const once = configure(c, long)
  const again = configure(c, long)
  t.not(again, once, 'not kept')
  t.same(rendered(again), rendered(once))
})

t.test('at most CONFIGURATIONS_KEPT sets are kept; the oldest goes first', async (t) => {
  const c = catalog()
  const first = configure(c, { endpoint: 'https://0.example.com' })
  for (let i = 1; i <= CONFIGURATIONS_KEPT; i++)
    configure(c, { endpoint: `https://${i}.example.com` })
  t.not(configure(c, { endpoint: 'https://0.example.com' }), first, 'evicted')
  const last = `https://${CONFIGURATIONS_KEPT}.example.com`
  t.equal(configure(c, { endpoint: last }), configure(c, { endpoint: last }))
})
