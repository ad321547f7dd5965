#!/usr/bin/env node
// One entry point for two layouts. In a checkout (and the container image) the TypeScript sources
// are here, and Node 24 runs them directly (type stripping). An installed package has no sources,
// only the JavaScript compiled from them at pack time (dist/): Node refuses to strip types under
// node_modules, and older Nodes cannot strip at all.
import { existsSync, readFileSync } from 'node:fs'
import * as nodeModule from 'node:module'

// Below the engines floor a dependency fails to load with an error that names neither Node nor its
// version (client-node's undici on Node 20: "Cannot read properties of undefined"): say so first.
const { engines } = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8'))
const floor = /^>=(\d+)\.(\d+)\.(\d+)$/.exec(engines.node)?.slice(1).map(Number) ?? [0, 0, 0]
const [major = 0, minor = 0, patch = 0] = process.versions.node.split('.').map(Number)
const below = major - floor[0] || minor - floor[1] || patch - floor[2]
if (below < 0) {
  process.stderr.write(
    `error: sidecar-patterns needs Node.js ${engines.node}; this is ${process.version}\n`,
  )
  process.exit(1)
}

// The compile cache keeps what stripping and compiling made of the code for the next start (a
// third less start-up time); where it cannot be written (a read-only file system) Node goes without.
nodeModule.enableCompileCache?.()
const sources = new URL('../src/cli/main.ts', import.meta.url)
const { run } = await import(
  existsSync(sources) ? sources.href : new URL('../dist/cli/main.js', import.meta.url).href
)

run(process.argv.slice(2))
