#!/usr/bin/env node
// Node 24 runs the TypeScript sources directly (type stripping): there is no build step.
import { run } from '../src/cli/main.ts'

run(process.argv.slice(2))
