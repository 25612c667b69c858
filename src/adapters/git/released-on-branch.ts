import { type ReleasedVersion, releasedOnDefaultBranch } from '../../core/model/released-version.js'
import type { Git } from './git.js'

/** Keeps the released versions whose tagged commit `ref` (the default branch) contains, in one git call. */
export async function releasedOnBranch(git: Git, released: readonly ReleasedVersion[], ref: string): Promise<ReleasedVersion[]> {
  if (released.length === 0) return []
  const merged = await git.text(['for-each-ref', `--merged=${ref}`, '--format=%(refname:strip=2)', 'refs/tags/'])
  return releasedOnDefaultBranch(released, new Set(merged.split('\n').filter(Boolean)))
}
