import { execFileSync } from 'node:child_process'
import { join } from 'node:path'
import { afterAll, expect, test } from 'vitest'
import { Git } from '../../src/adapters/git/git.js'
import { ObjectReader } from '../../src/adapters/git/object-reader.js'
import { tempDir } from '../engine/helpers.js'

// The object reader's answers arrive in chunks of whatever size the pipe gives: a header or an object's bytes
// may end exactly at a chunk's edge, objects may be empty, larger than a chunk, or many buffered at once.

const temp = tempDir('gantry-attack-session-')
afterAll(() => temp.cleanup())

const raw = (dir: string, args: string[], input?: Buffer | string) => execFileSync('git', ['-C', dir, ...args], { input, maxBuffer: 1 << 26 })

test('objects of every size around the pipe chunk edges, read in one batch and one by one, are the bytes git has', async () => {
  const dir = join(temp.dir, 'sizes')
  raw(temp.dir, ['init', '-q', dir])
  const sizes = [0, 1, 2, 0, 65536 - 100, 65536 - 53, 65536 - 52, 65536 - 51, 65535, 65536, 65537, 131072 - 52, 131072, 300000, 0, 1]
  const contents = sizes.map((size, index) => Buffer.alloc(size, 0x41 + (index % 26)).fill(10, size > 3 ? size - 1 : 0, size > 3 ? size : 0))
  const ids = contents.map((content) => raw(dir, ['hash-object', '-w', '--stdin'], content).toString().trim())
  const reader = new ObjectReader(new Git(dir))
  try {
    // Each object several times over, with missing ones between them.
    const specs = [...ids, 'f'.repeat(40), ...ids.slice().reverse(), 'HEAD:nothing', ...ids]
    const objects = await reader.read(specs)
    specs.forEach((spec, index) => {
      const at = ids.indexOf(spec)
      if (at < 0) expect(objects[index], spec).toBeUndefined()
      else expect(objects[index]?.bytes.equals(contents[at]!), `${spec} (${sizes[at]} bytes)`).toBe(true)
    })
    for (const [index, id] of ids.entries()) expect((await reader.read([id]))[0]?.bytes.equals(contents[index]!)).toBe(true)
  } finally {
    await reader.close()
  }
})

test('answers split into chunks at every third byte: lines and bytes read across the edges', async () => {
  const { spawn } = await import('node:child_process')
  const { GitSession } = await import('../../src/adapters/git/git.js')
  const answer = Buffer.concat([Buffer.from('id1 blob 0\n\nid2 blob 5\nhe\nlo\nid3 blob 3\n\n\n\n\n'), Buffer.from('x missing\n')])
  for (let cut = 1; cut < answer.length; cut += 3) {
    // A process writing its answer in pieces, each after a pause, so that each arrives as a chunk of its own.
    const pieces = [answer.subarray(0, cut), answer.subarray(cut, cut + 1), answer.subarray(cut + 1)].filter((p) => p.length > 0)
    const script = `const p=${JSON.stringify(pieces.map((p) => p.toString('base64')))};let i=0;const next=()=>{if(i===p.length)return;process.stdout.write(Buffer.from(p[i++],'base64'),()=>setTimeout(next,15))};next()`
    const session = new GitSession(spawn(process.execPath, ['-e', script]), ['test'])
    const read: string[] = []
    for (let object = 0; object < 3; object++) {
      const header = await session.readLine()
      read.push(header, (await session.readBytes(Number(header.split(' ')[2]) + 1)).toString('base64'))
    }
    read.push(await session.readLine())
    await session.close()
    expect(read, `cut at ${cut}`).toEqual(['id1 blob 0', Buffer.from('\n').toString('base64'), 'id2 blob 5', Buffer.from('he\nlo\n').toString('base64'), 'id3 blob 3', Buffer.from('\n\n\n\n').toString('base64'), 'x missing'])
  }
})
