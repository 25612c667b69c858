/* Generated from schemas/ by scripts/generate-types.mjs (npm run types). Do not edit. */

/**
 * One definition: definitions/<kind>/<name>.yaml. Its spec is validated by kinds/<kind>.schema.json.
 */
export interface GantryDefinition {
  /**
   * The definition's kind; kinds/<kind>.schema.json validates its spec.
   */
  kind: string
  /**
   * Unique within the kind; the file must be definitions/<kind>/<name>.yaml.
   */
  name: string
  description?: string
  /**
   * The kind-specific content.
   */
  spec: {}
}
