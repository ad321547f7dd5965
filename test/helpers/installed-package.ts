// This package as a user gets it: packed by `npm pack` (which compiles it), then installed from the
// tarball into an empty folder. The install is offline, from the npm cache that `npm ci` filled,
// and pinned by the checkout's own lockfile: without a lockfile npm would ask the registry which
// versions the ranges of the dependencies' dependencies mean today.
import { execFile } from 'node:child_process'
import { createHash } from 'node:crypto'
import { mkdtemp, readFile, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { ROOT } from './cli.ts'

const exec = promisify(execFile)

interface LockEntry {
  dev?: boolean
}

/** Packs the checkout and installs the tarball into a new folder; resolves with that folder. */
export async function installPackedPackage(): Promise<string> {
  const folder = await mkdtemp(join(tmpdir(), 'sidecar-patterns-installed-'))
  const { stdout } = await exec('npm', ['pack', '--json', '--pack-destination', folder], {
    cwd: ROOT,
    maxBuffer: 16 * 1024 * 1024,
  })
  const [{ filename }] = JSON.parse(stdout) as [{ filename: string }]
  const tarball = await readFile(join(folder, filename))
  const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8'))
  const lock = JSON.parse(await readFile(join(ROOT, 'package-lock.json'), 'utf8'))
  const spec = `file:${filename}`
  // The production part of the checkout's tree: dropping development-only packages leaves every
  // other package resolving its dependencies to the same places.
  const production = Object.entries(lock.packages as Record<string, LockEntry>).filter(
    ([path, entry]) => path !== '' && !entry.dev,
  )
  const packages = {
    '': { dependencies: { [pkg.name]: spec } },
    [`node_modules/${pkg.name}`]: {
      version: pkg.version,
      resolved: spec,
      integrity: `sha512-${createHash('sha512').update(tarball).digest('base64')}`,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
    ...Object.fromEntries(production),
  }
  const project = {
    name: 'installs-sidecar-patterns',
    private: true,
    dependencies: { [pkg.name]: spec },
  }
  await writeFile(join(folder, 'package.json'), JSON.stringify(project))
  await writeFile(
    join(folder, 'package-lock.json'),
    JSON.stringify({ ...project, lockfileVersion: 3, requires: true, packages }),
  )
  await exec('npm', ['ci', '--offline', '--ignore-scripts', '--no-audit', '--no-fund'], {
    cwd: folder,
  })
  return folder
}
