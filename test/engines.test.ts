// package.json's engines is a promise to whoever installs the package: the lowest Node it names
// must be one that every production dependency accepts too (the dependencies say so in their own
// engines), else npm warns on install and the first import fails on a missing API. The package
// test (test/cli/package.test.ts) runs the installed package on the Nodes this machine has.
import { readFile } from 'node:fs/promises'
import semver from 'semver'
import t from 'tap'

const read = async (path: string) =>
  JSON.parse(await readFile(new URL(`../${path}`, import.meta.url), 'utf8'))

t.test('the engines floor is a Node every production dependency accepts', async (t) => {
  const pkg = await read('package.json')
  const lock = await read('package-lock.json')
  const floor = semver.minVersion(pkg.engines.node)
  t.ok(floor, `engines.node is a range with a lowest version: ${pkg.engines.node}`)
  // bin/sidecar-patterns.js refuses a Node below it, and reads only this form.
  t.match(pkg.engines.node, /^>=\d+\.\d+\.\d+$/, 'written >=X.Y.Z, as the bin reads it')
  t.equal(lock.packages[''].engines?.node, pkg.engines.node, 'the lockfile says the same')
  const production = Object.entries(
    lock.packages as Record<string, { dev?: boolean; engines?: { node?: string } }>,
  ).filter(([path, entry]) => path !== '' && !entry.dev && entry.engines?.node !== undefined)
  t.ok(production.length > 10, 'dependencies that declare engines are found')
  const refusing = production
    .filter(([, entry]) => floor && !semver.satisfies(floor, entry.engines?.node ?? '*'))
    .map(([path, entry]) => `${path.replace(/^.*node_modules\//, '')}: ${entry.engines?.node}`)
  t.same(refusing, [], `every production dependency runs on Node ${floor}`)
  // And the floor is as low as they allow: one of them needs exactly this much.
  const needed = production
    .map(([, entry]) => semver.minVersion(entry.engines?.node ?? '*'))
    .reduce((a, b) => (b && a && semver.gt(b, a) ? b : a))
  t.equal(String(needed), String(floor), 'no higher than the most demanding dependency')
})
