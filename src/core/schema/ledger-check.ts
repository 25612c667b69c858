import type { Diagnostic } from '../diagnostics.js'
import type { EnvironmentLedger } from '../model/source-model.js'
import { printable } from '../names.js'
import type { ReadYamlResult } from '../yaml/read-yaml.js'
import type { SchemaRegistry } from './validator.js'

/**
 * A ledger read back from an environment branch (`.gantry/installed/<package>.yaml`) is input like any other:
 * a push to the branch can put anything there. It is checked against the ledger schema (package name, item
 * ids, versions, digests) and must name the package its file is named after. Each problem is a diagnostic
 * naming the branch and the file, at the offending line.
 */
export function ledgerProblems(
  read: ReadYamlResult,
  fileName: string,
  branch: string,
  schemas: SchemaRegistry,
): { ledger?: EnvironmentLedger; diagnostics: Diagnostic[] } {
  const where = `ledger on ${printable(branch)}`
  const restate = (d: Diagnostic): Diagnostic => ({
    ...d,
    severity: 'error',
    code: 'invalid-ledger',
    message: `${where}: ${d.message}`,
    hint: `restore ${d.file ?? 'the ledger'} from the history of ${printable(branch)}; ledgers change only through promotion`,
  })
  if (!read.parsed) return { diagnostics: read.diagnostics.map(restate) }
  const diagnostics = schemas.validateBuiltIn('ledger', read.parsed).map(restate)
  if (diagnostics.length > 0) return { diagnostics }
  const ledger = read.parsed.value as EnvironmentLedger
  if (`${ledger.package}.yaml` !== fileName) {
    return {
      diagnostics: [
        restate({
          severity: 'error',
          code: 'invalid-ledger',
          file: read.parsed.file,
          ...read.parsed.positionOf(['package']),
          message: `names package ${printable(ledger.package)}, but the file is ${printable(fileName)}`,
        }),
      ],
    }
  }
  return { ledger, diagnostics: [] }
}
