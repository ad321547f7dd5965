#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping): there is no build step. The
// compile cache keeps what stripping and compiling made of them for the next start (a third
// less start-up time); where it cannot be written (a read-only file system) Node goes without.
import { enableCompileCache } from 'node:module'

enableCompileCache?.()
const { run } = await import('../src/cli/main.ts')

run(process.argv.slice(2))
