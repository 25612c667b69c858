/* Generated from schemas/ by scripts/generate-types.mjs (npm run types). Do not edit. */

export type Name = string
/**
 * kind/name
 */
export type ItemId = string

/**
 * One package: packages/<name>.yaml.
 */
export interface GantryPackage {
  name: Name
  description?: string
  /**
   * Optional explicit version (dot: 1, 1.1; semver: 1.0.0). Quote it: 1.10 unquoted is the number 1.1.
   */
  version?: string
  /**
   * Version notes, shown to reviewers and in the release.
   */
  notes?: string
  /**
   * Items change on environment branches only through promotion.
   */
  locked?: boolean
  install?: 'merge' | 'overwrite'
  /**
   * Automatically include referenced definitions not provided by a dependency.
   */
  includeReferences?: boolean
  items: ItemId[]
  dependencies?: {
    package: Name
    /**
     * A version range: 1.2, >=1.1, >=1.1 <2, ^1, ~1.2, *. Default: any version.
     */
    version?: string
  }[]
  instructions?: {
    step: string
    when?: 'before' | 'after'
    /**
     * Ask this before-step again when an older version is promoted as a rollback (by default a rollback does not repeat the original rollout's steps).
     */
    rollback?: boolean
  }[]
  environments?: {
    [k: string]: EnvironmentSettings
  }
}
export interface EnvironmentSettings {
  /**
   * Reference replacement in that environment: kind/name -> kind/name.
   */
  replace?: {
    [k: string]: ItemId
  }
  /**
   * Field overrides in that environment: kind/name -> { dotted.path: value }.
   */
  set?: {
    [k: string]: {}
  }
  /**
   * Release on a date: ISO 8601 with offset, e.g. 2026-12-01T00:00:00-05:00.
   */
  release?: string
}
