import { code, inertBlock, markdownTable } from './markdown.js'

/** What a release body is made of: the version's notes, its bundle digest and what changed since the last one. */
export interface ReleaseBodyInput {
  notes?: string
  digest: string
  delta: { previous: string | null; added: readonly string[]; changed: readonly string[]; removed: readonly string[] }
}

/**
 * The body of the GitHub Release `<package>@<version>`: the author's notes rendered as the author wrote them
 * (Markdown kept, mentions, HTML and unsafe links neutralised, as everywhere), the digest, and the item changes.
 */
export function renderReleaseBody(input: ReleaseBodyInput): string {
  const lines = [input.notes?.trim() ? inertBlock(input.notes.trim()) : '_No version notes._', '', `Digest: ${code(input.digest)}`]
  const d = input.delta
  const rows = [...d.added.map((i) => [code(i), 'added']), ...d.changed.map((i) => [code(i), 'changed']), ...d.removed.map((i) => [code(i), 'removed'])]
  if (rows.length) lines.push('', `Changes since ${d.previous ?? 'nothing (first version)'}:`, '', markdownTable(['item', 'change'], rows))
  return lines.join('\n')
}
