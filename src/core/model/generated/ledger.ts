/* Generated from schemas/ by scripts/generate-types.mjs (npm run types). Do not edit. */

/**
 * What one package installed on an environment branch: .gantry/installed/<package>.yaml.
 */
export interface EnvironmentLedger {
  package: string
  version: string
  digest: string
  /**
   * Every item this package owns in this environment, with the sha256 of the file as applied.
   */
  items: {
    [k: string]: string
  }
  /**
   * Every item as this package delivered it here (after replacements and overrides, before merging with the branch): the sha256 of that file. An item whose delivered digest does not change is kept under install: merge.
   */
  delivered?: {
    [k: string]: string
  }
  locked?: boolean
  environment?: string
  sourceCommit?: string | null
  /**
   * The promotion pull request number, null for a CLI apply.
   */
  promotion?: number | null
  approvers?: {
    login: string
    sha: string
  }[]
  appliedAt?: string
  appliedBy?: string
  /**
   * True when this apply replaced a newer version.
   */
  rollback?: boolean
  previousVersion?: string | null
}
