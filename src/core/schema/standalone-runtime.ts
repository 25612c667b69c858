import * as ucs2lengthModule from 'ajv/dist/runtime/ucs2length.js'
export { fullFormats } from 'ajv-formats/dist/formats.js'

/**
 * What ajv's standalone code of Gantry's own schemas (generated/built-in-validators.js) calls at run time.
 * ajv's runtime files are CommonJS modules that set `exports.default`: Node gives that as `default.default`
 * of the namespace, a bundler as `default`.
 */
type Ucs2length = (text: string) => number
const ucs2 = ucs2lengthModule as unknown as { default: Ucs2length | { default: Ucs2length } }
export const ucs2length: Ucs2length = typeof ucs2.default === 'function' ? ucs2.default : ucs2.default.default
