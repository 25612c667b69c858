import type { Diagnostic } from '../diagnostics.js'
import type { SourceSnapshot } from '../model/source-model.js'
import { type ParsedYaml, type YamlLimits, readYaml } from '../yaml/read-yaml.js'

/** Reads one entry of a snapshot as YAML, turning symlinks and oversized files into diagnostics. */
export function readEntry(
  snapshot: SourceSnapshot,
  file: string,
  limits: YamlLimits,
): { parsed?: ParsedYaml; diagnostics: Diagnostic[] } {
  const entry = snapshot.get(file)
  if (!entry) return { diagnostics: [] }
  switch (entry.type) {
    case 'file':
      return readYaml(file, entry.bytes, limits)
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
