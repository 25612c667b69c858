import { Random } from '../../bench/random.js'

/**
 * A seeded generator of floats in [0, 1) (bench/random.ts, mulberry32): the same seed gives the same sequence,
 * so a failing case of a seeded test names the values that made it.
 */
export function seededRandom(seed: number): () => number {
  const random = new Random(seed)
  return () => random.next()
}
