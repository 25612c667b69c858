import type { Diagnostic } from '../diagnostics.js'
import type {
  Definition,
  DefinitionReference,
  GantryConfig,
  GantryPackage,
  PackageSource,
  SourceModel,
  SourcePaths,
  SourceSnapshot,
} from '../model/source-model.js'
import { type ItemId, explainInvalidName, isValidName, itemId, printable } from '../names.js'
import { findReferences } from '../schema/references.js'
import type { SchemaRegistry } from '../schema/validator.js'
import { type YamlLimits, DEFAULT_YAML_LIMITS } from '../yaml/read-yaml.js'
import { readEntry } from './read-entry.js'

export interface LoadedSource {
  model: SourceModel
  diagnostics: Diagnostic[]
}

/**
 * Builds the source model from a snapshot: kind schemas, then definitions (envelope, name, path, kind, spec,
 * references), then packages. A bad file is reported and left out; every other file is still loaded.
 */
export function loadSource(
  snapshot: SourceSnapshot,
  config: GantryConfig,
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits = DEFAULT_YAML_LIMITS,
): LoadedSource {
  const diagnostics: Diagnostic[] = []
  const files = [...snapshot.keys()].sort()
  const under = (folder: string) => files.filter((f) => f.startsWith(`${folder}/`))

  loadKinds(snapshot, under(paths.kinds), paths, schemas, diagnostics)
  const definitions = loadDefinitions(snapshot, under(paths.definitions), paths, schemas, limits, diagnostics)
  const packages = loadPackages(snapshot, under(paths.packages), paths, schemas, limits, diagnostics)
  return { model: { config, paths, schemas, definitions, packages }, diagnostics }
}

function loadKinds(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  diagnostics: Diagnostic[],
): void {
  for (const file of files) {
    const match = file.slice(paths.kinds.length + 1).match(/^([^/]+)\.schema\.json$/)
    if (!match) continue
    const kind = match[1]!
    const error = (message: string, hint?: string, line = 1, column = 1) =>
      diagnostics.push({ severity: 'error', code: 'schema', file, line, column, message, ...(hint ? { hint } : {}) })
    if (!isValidName(kind)) {
      diagnostics.push({
        severity: 'error',
        code: 'invalid-name',
        file,
        line: 1,
        column: 1,
        message: `kind name ${explainInvalidName(kind)}`,
        hint: 'kind names match ^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$',
      })
      continue
    }
    const entry = snapshot.get(file)
    if (entry?.type !== 'file') {
      const read = readEntry(snapshot, file, DEFAULT_YAML_LIMITS)
      diagnostics.push(...read.diagnostics)
      continue
    }
    const text = new TextDecoder().decode(entry.bytes)
    let schema: unknown
    try {
      schema = JSON.parse(text)
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e)
      const at = /position (\d+)/.exec(message)
      const pos = at ? positionInText(text, Number(at[1])) : { line: 1, column: 1 }
      error(`${file} is not valid JSON: ${message}`, 'fix the JSON syntax', pos.line, pos.column)
      continue
    }
    const problem = schemas.addKind(kind, schema)
    if (problem) error(`${file} is not a usable JSON Schema: ${problem}`)
  }
}

function loadDefinitions(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits,
  diagnostics: Diagnostic[],
): Map<ItemId, Definition> {
  const definitions = new Map<ItemId, Definition>()
  for (const file of files) {
    if (!/\.ya?ml$/.test(file)) continue
    const read = readEntry(snapshot, file, limits)
    diagnostics.push(...read.diagnostics)
    const parsed = read.parsed
    if (!parsed) continue
    const envelope = schemas.validateBuiltIn('definition', parsed)
    const doc = parsed.value as Definition['document']
    if (envelope.length > 0) {
      // Names get their own code: report them as invalid-name rather than as a pattern mismatch.
      for (const d of envelope) {
        const field = ['kind', 'name'].find((f) => d.message.startsWith(`${f} does not match`))
        if (field && doc && typeof doc === 'object') {
          const value = String((doc as Record<string, unknown>)[field])
          diagnostics.push({
            ...d,
            code: 'invalid-name',
            message: `${field} ${explainInvalidName(value)}`,
            hint: `${field}s match ^[a-z0-9]([a-z0-9._-]{0,62}[a-z0-9])?$ (safe as file names and git refs)`,
          })
        } else diagnostics.push(d)
      }
      continue
    }
    const id = itemId(doc.kind, doc.name)
    const expected = `${paths.definitions}/${doc.kind}/${doc.name}.yaml`
    if (file !== expected) {
      diagnostics.push({
        severity: 'error',
        code: 'path-mismatch',
        file,
        ...parsed.positionOf(['name']),
        item: id,
        message: `${printable(file)} declares ${id}, which belongs in ${expected}`,
        hint: `move the file to ${expected}, or change kind and name to match its path`,
      })
      continue
    }
    if (!schemas.hasKind(doc.kind)) {
      diagnostics.push({
        severity: 'error',
        code: 'unknown-kind',
        file,
        ...parsed.positionOf(['kind']),
        item: id,
        message: `kind "${doc.kind}" has no schema`,
        hint: `add ${paths.kinds}/${doc.kind}.schema.json; known kinds: ${schemas.kindNames().join(', ') || 'none'}`,
      })
      continue
    }
    const specDiagnostics = schemas.validateSpec(doc.kind, parsed, doc.spec)
    if (specDiagnostics.length > 0) {
      diagnostics.push(...specDiagnostics.map((d) => ({ ...d, item: id })))
      continue
    }
    const previous = definitions.get(id)
    if (previous) {
      diagnostics.push({
        severity: 'error',
        code: 'duplicate-definition',
        file,
        ...parsed.positionOf(['name']),
        item: id,
        message: `${id} is defined twice: here and in ${previous.file}`,
        hint: 'keep one of them',
      })
      continue
    }
    const references: DefinitionReference[] = []
    for (const found of findReferences(schemas.kindSchema(doc.kind) ?? {}, doc.spec)) {
      references.push({ path: found.path, target: itemId(found.kind, found.name), position: parsed.positionOf(found.path) })
    }
    definitions.set(id, { id, kind: doc.kind, name: doc.name, file, document: doc, parsed, references })
  }
  return definitions
}

function loadPackages(
  snapshot: SourceSnapshot,
  files: string[],
  paths: SourcePaths,
  schemas: SchemaRegistry,
  limits: YamlLimits,
  diagnostics: Diagnostic[],
): Map<string, PackageSource> {
  const packages = new Map<string, PackageSource>()
  for (const file of files) {
    if (!/\.ya?ml$/.test(file)) continue
    const read = readEntry(snapshot, file, limits)
    diagnostics.push(...read.diagnostics)
    const parsed = read.parsed
    if (!parsed) continue
    const problems = schemas.validateBuiltIn('package', parsed)
    const manifest = parsed.value as GantryPackage
    if (problems.length > 0) {
      for (const d of problems) {
        if (d.message.startsWith('name does not match') && typeof manifest?.name === 'string') {
          diagnostics.push({ ...d, code: 'invalid-name', message: `package name ${explainInvalidName(manifest.name)}` })
        } else if (/^items\[\d+\] does not match/.test(d.message)) {
          diagnostics.push({ ...d, code: 'invalid-name', hint: 'items are written kind/name, e.g. task/extract-invoices' })
        } else diagnostics.push(d)
      }
      continue
    }
    const expected = `${paths.packages}/${manifest.name}.yaml`
    if (file !== expected) {
      diagnostics.push({
        severity: 'error',
        code: 'path-mismatch',
        file,
        ...parsed.positionOf(['name']),
        package: manifest.name,
        message: `${printable(file)} declares package ${manifest.name}, which belongs in ${expected}`,
        hint: `rename the file to ${expected}, or change the name`,
      })
      continue
    }
    packages.set(manifest.name, { name: manifest.name, file, manifest, parsed })
  }
  return packages
}

function positionInText(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset)
  const line = before.split('\n').length
  return { line, column: offset - before.lastIndexOf('\n') }
}
