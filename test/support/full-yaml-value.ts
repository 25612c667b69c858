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
