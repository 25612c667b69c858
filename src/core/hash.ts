import * as crypto from 'node:crypto'

/**
 * The digest of `data` by `algorithm`, in `encoding`: Node's one-shot `crypto.hash` (Node 20.12 and later),
 * which makes no Hash object and costs a quarter of one for a small input (thousands of files and items are
 * hashed per command); a Hash object on older Nodes. The same digest either way.
 */
export function digestOf(algorithm: 'sha1' | 'sha256', data: string | Uint8Array, encoding: 'hex' | 'base64'): string {
  return oneShot ? oneShot(algorithm, data, encoding) : crypto.createHash(algorithm).update(data).digest(encoding)
}

const oneShot = (crypto as { hash?: (algorithm: string, data: string | Uint8Array, encoding: 'hex' | 'base64') => string }).hash
