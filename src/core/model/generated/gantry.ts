/* Generated from schemas/ by scripts/generate-types.mjs (npm run types). Do not edit. */

export type Name = string

/**
 * The pipeline configuration: gantry.yaml at the repository root.
 */
export interface GantryConfig {
  versioning?: 'dot' | 'semver'
  /**
   * Folder names, relative to the repository root.
   */
  paths?: {
    definitions?: string
    packages?: string
    kinds?: string
  }
  /**
   * @minItems 1
   */
  environments: [
    {
      name: Name
      branch: string
      after?: Name[]
      approvals?: number
      reviewers?: string[]
      /**
       * IANA time zone, e.g. America/New_York. Default UTC.
       */
      timezone?: string
      /**
       * Apply windows in the environment's time zone, e.g. "Mon-Thu 00:00-01:00".
       */
      windows?: string[]
      freezes?: {
        from: string
        to: string
        reason?: string
      }[]
    },
    ...{
      name: Name
      branch: string
      after?: Name[]
      approvals?: number
      reviewers?: string[]
      /**
       * IANA time zone, e.g. America/New_York. Default UTC.
       */
      timezone?: string
      /**
       * Apply windows in the environment's time zone, e.g. "Mon-Thu 00:00-01:00".
       */
      windows?: string[]
      freezes?: {
        from: string
        to: string
        reason?: string
      }[]
    }[]
  ]
  kinds?: {
    /**
     * Per-kind install policy on environment branches.
     */
    [k: string]: {
      add?: 'always' | 'never'
      update?: 'always' | 'never'
      delete?: 'always' | 'never'
    }
  }
}
