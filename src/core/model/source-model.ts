import type { Position } from '../diagnostics.js'
import type { ItemId } from '../names.js'
import type { SchemaRegistry } from '../schema/validator.js'
import type { ParsedYaml } from '../yaml/read-yaml.js'
import type { GantryConfig } from './generated/gantry.js'
import type { GantryPackage } from './generated/package.js'

export type { GantryConfig } from './generated/gantry.js'
export type { GantryPackage, EnvironmentSettings } from './generated/package.js'
export type { EnvironmentLedger } from './generated/ledger.js'

/** One entry of a tree as an adapter read it: a file's bytes, or why it was not read. */
export type SourceEntry =
  | {
      type: 'file'
      bytes: Uint8Array
      again?: FileSource
      /**
       * A file listed but not read yet: reads it now, and tells what it is now (it may have become a link or
       * grown past the size limit since it was listed; undefined when it is gone). Read it once, with readEntry.
       */
      read?: () => SourceEntry | undefined
    }
  | { type: 'symlink' }
  | { type: 'too-large'; size: number }
  | { type: 'other' }

/**
 * Reads a file of a snapshot again by its path, as it was first read (undefined when it no longer can be): a
 * file loaded from it need not keep its bytes for the few that are asked a position later.
 */
export interface FileSource {
  readAgain(file: string): Uint8Array | undefined
}

/** A repository tree (working directory or a commit), keyed by POSIX path relative to its root. */
export type SourceSnapshot = ReadonlyMap<string, SourceEntry>

export interface DefinitionReference {
  /** Path of the referring value in the document, e.g. ["spec", "successors", 0]. */
  path: (string | number)[]
  target: ItemId
  position: Position
}

export interface Definition {
  id: ItemId
  kind: string
  name: string
  file: string
  /** The whole document as data: kind, name, description, spec. */
  document: { kind: string; name: string; description?: string; spec: Record<string, unknown> }
  parsed: ParsedYaml
  /** Made on each access: readers that need only the items referred to use referenceCount and referenceTarget. */
  references: DefinitionReference[]
  /** How many references the definition makes, in the order of `references`. */
  referenceCount: number
  /** The item the reference at `index` (in the order of `references`) refers to, without making the reference. */
  referenceTarget(index: number): ItemId
}

export interface PackageSource {
  name: string
  file: string
  manifest: GantryPackage
  parsed: ParsedYaml
}

export interface SourcePaths {
  definitions: string
  packages: string
  kinds: string
}

export interface SourceModel {
  config: GantryConfig
  paths: SourcePaths
  schemas: SchemaRegistry
  definitions: Map<ItemId, Definition>
  packages: Map<string, PackageSource>
  /**
   * Definitions and packages whose files exist but did not load (their own diagnostics say why): findings
   * that would only follow from their absence are not reported again.
   */
  unloaded?: { definitions: ReadonlySet<ItemId>; packages: ReadonlySet<string> }
}

export type Environment = GantryConfig['environments'][number]
