import type { Diagnostic } from '../diagnostics.js'
import type { SourceEntry, SourceSnapshot } from '../model/source-model.js'
import { type ParsedYaml, type YamlLimits, readYaml } from '../yaml/read-yaml.js'

/** The entry of a file as it is now: read when the snapshot only listed it. */
export function entryNow(snapshot: SourceSnapshot, file: string): SourceEntry | undefined {
  const entry = snapshot.get(file)
  return entry?.type === 'file' && entry.read ? entry.read() : entry
}

/** Reads one entry of a snapshot as YAML, turning symlinks and oversized files into diagnostics. */
export function readEntry(
  snapshot: SourceSnapshot,
  file: string,
  limits: YamlLimits,
  entry: SourceEntry | undefined = entryNow(snapshot, file),
): { parsed?: ParsedYaml; diagnostics: Diagnostic[] } {
  if (!entry) return { diagnostics: [] }
  switch (entry.type) {
    case 'file':
      return readYaml(file, entry.bytes, limits, entry.again)
    case 'symlink':
      return {
        diagnostics: [
          {
            severity: 'error',
            code: 'unsafe-path',
            file,
            line: 1,
            column: 1,
            message: `${file} is a symbolic link; Gantry does not follow links (they can point outside the repository)`,
            hint: 'replace the link with the file itself',
          },
        ],
      }
    case 'too-large':
      return {
        diagnostics: [
          {
            severity: 'error',
            code: 'input-too-large',
            file,
            line: 1,
            column: 1,
            message: `${file} is ${entry.size} bytes, over the limit of ${limits.maxBytes}`,
            hint: 'split the file; Gantry refuses oversized files before reading them',
          },
        ],
      }
    default:
      return {
        diagnostics: [
          { severity: 'error', code: 'unsafe-path', file, message: `${file} is not a regular file`, line: 1, column: 1 },
        ],
      }
  }
}
