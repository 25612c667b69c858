import type { EnvironmentLedger } from '../../src/core/model/source-model.js'
import { ledgerProblems } from '../../src/core/schema/ledger-check.js'
import type { SchemaRegistry } from '../../src/core/schema/validator.js'
import { readYaml, setYamlReader } from '../../src/core/yaml/read-yaml.js'

/**
 * What readYaml, in the given mode, makes of `bytes` read as `file`: the value when it reads them with nothing
 * to report, else undefined. The fast readers of Gantry's written form must take only such texts, to this value.
 */
export function fullYamlValue(file: string, bytes: Uint8Array, mode: 'fast' | 'positional'): { value: unknown } | undefined {
  const previous = setYamlReader(mode)
  try {
    const read = readYaml(file, bytes)
    return read.parsed && read.diagnostics.length === 0 ? { value: read.parsed.value } : undefined
  } finally {
    setYamlReader(previous)
  }
}

/**
 * The ledger the full read (readYaml, then the ledger check for `fileName` on env/qa) gives for `bytes` read as
 * `file`, with nothing to report; else undefined. The written-form ledger readers must agree with it.
 */
export function fullLedger(file: string, fileName: string, bytes: Uint8Array, schemas: SchemaRegistry): EnvironmentLedger | undefined {
  const { ledger, diagnostics } = ledgerProblems(readYaml(file, bytes), fileName, 'env/qa', schemas)
  return diagnostics.length === 0 ? ledger : undefined
}

/** A value as JSON with numbers told apart from strings and key order kept, for comparing reads exactly. */
export const shape = (value: unknown): string => JSON.stringify(value, (_k, v: unknown) => (typeof v === 'number' ? `#num:${v}` : v))
