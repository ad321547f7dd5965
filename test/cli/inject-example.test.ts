// The README's `inject` example ("Offline: sidecar-patterns inject") run as written: it names
// test/golden/shop.injected.yaml as its output, so it must produce exactly that file. The golden
// is rendered with the test catalog (test/fixtures/catalog.yaml: its prod-metering policy puts
// metrics into the shop namespace) and the test image, so the example passes both.
import { readFile } from 'node:fs/promises'
import t from 'tap'
import { main } from '../../src/cli/main.ts'
import { ROOT } from '../helpers/cli.ts'
import { TEST_IMAGE } from '../helpers/config.ts'

// npx sidecar-patterns inject -f test/fixtures/manifests/shop.yaml --config test/fixtures/catalog.yaml --image ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-test
const EXAMPLE = [
  'inject',
  '-f',
  'test/fixtures/manifests/shop.yaml',
  '--config',
  'test/fixtures/catalog.yaml',
  '--image',
  'ghcr.io/sidecar-patterns/sidecar-patterns:0.0.0-test',
]

t.test('the README example writes test/golden/shop.injected.yaml', async (t) => {
  t.equal(EXAMPLE.at(-1), TEST_IMAGE, 'the image the goldens are rendered with')
  const written: string[] = []
  const cwd = process.cwd()
  process.chdir(ROOT)
  t.teardown(() => process.chdir(cwd))
  const code = await main(EXAMPLE, {
    out: (text) => written.push(`${text}\n`),
    write: (text) => written.push(text),
    err: () => undefined,
    version: '0.0.0-test',
    stdin: async () => '',
  })
  t.equal(code, 0)
  t.equal(written.join(''), await readFile(`${ROOT}test/golden/shop.injected.yaml`, 'utf8'))
})
