import { describe, expect, it } from 'vitest'
import { createKindAjv } from '../../src/core/schema/create-ajv.js'
import { fullFormats } from '../../src/core/schema/standalone-runtime.js'
import { uri } from '../../src/core/schema/uri-format.js'

const ajvFormatsUri = fullFormats.uri as (text: string) => boolean

/** Strings around every branch of ajv-formats' expression: schemes, authorities, hosts, ports, paths, queries. */
const CASES = [
  'https://example.com',
  'https://example.com/api/v2',
  'HTTPS://EXAMPLE.COM/A%2Fb?q=1&r=2#top',
  'http://example.com:8080/x',
  'http://example.com:/x',
  'http://example.com:80a/x',
  'http://10.0.0.1/x',
  'http://999.1.1.1/x',
  'http://[::1]/x',
  'http://[2001:db8::7]:443/x',
  'http://[v1.fe]/x',
  'http://[::1/x',
  'ftp://user:pass@example.com/file',
  'vault://kv/hr/archive#token',
  'mailto:someone@example.com',
  'urn:isbn:0451450523',
  'file:///etc/hosts',
  'http:/example.com',
  'http:example.com',
  'a:',
  'a:b',
  's3+x.y-z://bucket/key',
  '1http://example.com',
  '//example.com/x',
  '/absolute/path',
  'relative/path',
  'example.com',
  '',
  ':',
  'http://',
  'http:///',
  'http://exa mple.com',
  'http://example.com/a b',
  'http://example.com/%zz',
  'http://example.com/%4',
  'http://example.com/%41',
  'http://example.com/ä',
  'http://bücher.example/',
  'http://example.com/\n',
  'http://example.com\n',
  'http://example.com/?a=[1]',
  'http://example.com/#a#b',
  'http://example.com/path?query#frag?/:@',
  "http://example.com/!$&'()*+,;=",
  'http://example.com/"quoted"',
  'http://ex\u017Fmple.com/',
  'http://\u212Aelvin.example/',
]

/** A seeded generator of strings from characters that matter to the expression. */
function randomStrings(count: number, seed: number): string[] {
  // Mostly characters a URI may hold, a few it may not, and the ones that change which branch matches.
  const alphabet = [...'aZ09.-_~!$&()*+,;=', ...'::://///@@??##%%ff', '[', ']', ' ', 'é', '"', 'v']
  const prefixes = [
    '',
    'http://',
    'https://',
    'x:',
    'a+b://',
    '//',
    'http://[',
    'http://u@',
    'http://[::',
    'h://1.2.3.4',
  ]
  let state = seed
  // A linear congruential generator; its high bits, the low ones of which repeat with short periods.
  const next = () => {
    state = (state * 1103515245 + 12345) % 2 ** 31
    return state >>> 8
  }
  const out: string[] = []
  for (let i = 0; i < count; i++) {
    let s = prefixes[next() % prefixes.length]!
    const length = next() % 24
    for (let k = 0; k < length; k++) s += alphabet[next() % alphabet.length]
    out.push(s)
  }
  return out
}

describe("the `uri` format, answered without compiling ajv-formats' expression for common URIs", () => {
  it("answers as ajv-formats' own `uri` for strings around every branch", () => {
    for (const text of CASES) expect([text, uri(text)]).toEqual([text, ajvFormatsUri(text)])
  })

  it("answers as ajv-formats' own `uri` for seeded random strings", () => {
    const strings = randomStrings(20_000, 12)
    const differ = strings.filter((text) => uri(text) !== ajvFormatsUri(text))
    expect(differ).toEqual([])
    // Both answers occur often enough for the comparison to mean something.
    const accepted = strings.filter((text) => ajvFormatsUri(text)).length
    expect(accepted).toBeGreaterThan(1000)
    expect(strings.length - accepted).toBeGreaterThan(1000)
  })

  it('is the format kind schemas are checked with, with the same findings', () => {
    const ajv = createKindAjv({ allErrors: true })
    expect(ajv.formats.uri).toBe(uri)
    const validate = ajv.compile({ type: 'object', properties: { url: { type: 'string', format: 'uri' } } })
    expect(validate({ url: 'https://example.com/api' })).toBe(true)
    expect(validate({ url: 'not a uri' })).toBe(false)
    expect(validate.errors).toMatchObject([
      {
        instancePath: '/url',
        keyword: 'format',
        params: { format: 'uri' },
        message: 'must match format "uri"',
      },
    ])
  })
})
