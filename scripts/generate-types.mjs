// Generates TypeScript types from schemas/*.schema.json into src/core/model/generated/.
// `--check` fails when the committed files differ from what the schemas generate.
import { readFile, readdir, writeFile } from 'node:fs/promises'
import { join } from 'node:path'
import { compile } from 'json-schema-to-typescript'

const check = process.argv.includes('--check')
const schemaDir = 'schemas'
const outDir = 'src/core/model/generated'
const banner = '/* Generated from schemas/ by scripts/generate-types.mjs (npm run types). Do not edit. */'

let drift = 0
for (const file of (await readdir(schemaDir)).filter((f) => f.endsWith('.schema.json')).sort()) {
  const schema = JSON.parse(await readFile(join(schemaDir, file), 'utf8'))
  const ts = await compile(schema, schema.title, {
    bannerComment: banner,
    additionalProperties: false,
    style: { semi: false, singleQuote: true, printWidth: 110 },
    unreachableDefinitions: false,
  })
  const target = join(outDir, file.replace('.schema.json', '.ts'))
  if (check) {
    const current = await readFile(target, 'utf8').catch(() => '')
    if (current !== ts) {
      console.error(`${target} is out of date with ${join(schemaDir, file)}: run npm run types`)
      drift++
    }
  } else {
    await writeFile(target, ts)
    console.log(`wrote ${target}`)
  }
}
if (drift > 0) process.exit(1)
