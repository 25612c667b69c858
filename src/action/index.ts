import { keepYoungGenerationSmall } from '../adapters/process/young-generation.js'
import { run } from './main.js'

keepYoungGenerationSmall()
await run()
