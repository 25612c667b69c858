#!/usr/bin/env node
import { keepYoungGenerationSmall } from '../adapters/process/young-generation.js'
import { main } from './main.js'

keepYoungGenerationSmall()
process.exitCode = await main(process.argv.slice(2), {
  stdout: process.stdout,
  stderr: process.stderr,
  env: process.env,
})
