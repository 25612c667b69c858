// Generated from schemas/ by scripts/generate-validators.ts (npm run types). Do not edit.
import type { ValidateFunction } from 'ajv'
/** The validators of Gantry's own schemas; the arguments are the functions the generated code calls. */
export declare function builtInValidators(
  duplicateItems: (data: readonly unknown[]) => [number, number] | undefined,
  fullFormats: object,
  ucs2length: (text: string) => number,
): { validateConfig: ValidateFunction; validateDefinition: ValidateFunction; validatePackage: ValidateFunction; validateLedger: ValidateFunction; validateRefKeyword: ValidateFunction }
/** The draft-07 meta-schema for the ajv of kinds that lists every error (`allErrors`) or stops at the first. */
export declare function kindMetaSchemaValidator(
  allErrors: boolean,
  duplicateItems: (data: readonly unknown[]) => [number, number] | undefined,
  fullFormats: object,
  ucs2length: (text: string) => number,
): ValidateFunction
