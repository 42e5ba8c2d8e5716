#!/usr/bin/env node
// The CLI is written in TypeScript and run through tsx, so a clone works without a build step.
import { register } from 'tsx/esm/api'

register()
const { main } = await import('../harness/cli/main.ts')
process.exitCode = await main(process.argv.slice(2))
