// A sidecar's revision names what it is rendered from: what changes the containers it renders
// changes the revision, and nothing else does.
import t from 'tap'
import { type CatalogSource, loadCatalog } from '../../src/catalog/load.ts'
import type { Catalog } from '../../src/injection/catalog.ts'
import { SHIPPER_CATALOG as SHIPPER, TEST_IMAGE } from '../helpers/config.ts'

function catalog(text: string, image = TEST_IMAGE): Catalog {
  const source: CatalogSource = { name: 'catalog.yaml', text }
  const loaded = loadCatalog(source, image)
  if (!loaded.ok) throw new Error(loaded.errors.join('\n'))
  return loaded.catalog
}

function revision(c: Catalog, params: Record<string, string>, mode: 'native' | 'classic') {
  const configured = c.sidecars.get('shipper')?.configure(new Map(Object.entries(params)))
  if (!configured?.ok) throw new Error('shipper did not configure')
  return configured.sidecar.revision(mode)
}

const endpoint = { endpoint: 'https://logs.example.com' }
const today = revision(catalog(SHIPPER), endpoint, 'native')

t.test('a short lowercase hex digest, the same for the same inputs', async (t) => {
  t.match(today, /^[0-9a-f]{10}$/)
  t.equal(revision(catalog(SHIPPER), endpoint, 'native'), today, 'a reload changes nothing')
})

t.test('what renders differently gets another revision', async (t) => {
  const changed = {
    'the image': SHIPPER.replace('shipper:1', 'shipper:2'),
    'an argument': SHIPPER.replace('--level=', '--log-level='),
    "a parameter's default": SHIPPER.replace('default: info', 'default: debug'),
  }
  for (const [what, text] of Object.entries(changed))
    t.not(revision(catalog(text), endpoint, 'native'), today, what)
  const other = { endpoint: 'https://other.example.com' }
  t.not(revision(catalog(SHIPPER), other, 'native'), today, "the Pod's parameter values")
  t.not(revision(catalog(SHIPPER), endpoint, 'classic'), today, 'the mode')
})

t.test('{{self.image}} counts as the image it is filled with', async (t) => {
  const self = SHIPPER.replace('registry.example.com/shipper:1', '"{{self.image}}"')
  const a = revision(catalog(self, 'example/self:1'), endpoint, 'native')
  t.not(revision(catalog(self, 'example/self:2'), endpoint, 'native'), a)
})

t.test('what renders nothing leaves the revision alone', async (t) => {
  const same = {
    "the entry's summary": SHIPPER.replace('summary: ships logs', 'summary: ships the logs'),
    "a parameter's summary": SHIPPER.replace('summary: where to', 'summary: the endpoint'),
    'the order of keys': SHIPPER.replace(
      'endpoint: { type: string, required: true, summary: where to }',
      'endpoint: { summary: where to, required: true, type: string }',
    ),
  }
  for (const [what, text] of Object.entries(same))
    t.equal(revision(catalog(text), endpoint, 'native'), today, what)
  t.equal(
    revision(catalog(SHIPPER), { ...endpoint, level: 'info' }, 'native'),
    today,
    'a parameter set to its default',
  )
})

t.test("the entry's digest leaves parameter values and mode out", async (t) => {
  const digest = catalog(SHIPPER).sidecars.get('shipper')?.digest
  t.match(digest, /^[0-9a-f]{10}$/)
  t.equal(
    catalog(SHIPPER.replace('summary: ships logs', 'summary: x')).sidecars.get('shipper')?.digest,
    digest,
  )
  t.not(catalog(SHIPPER.replace('shipper:1', 'shipper:2')).sidecars.get('shipper')?.digest, digest)
})
