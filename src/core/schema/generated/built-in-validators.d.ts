// Generated from schemas/ by scripts/generate-validators.ts (npm run types). Do not edit.
import type { ValidateFunction } from 'ajv'
/** The compiled validators; the arguments are the functions the generated code calls. */
export declare function builtInValidators(
  duplicateItems: (data: readonly unknown[]) => [number, number] | undefined,
  fullFormats: object,
  ucs2length: (text: string) => number,
): { validateConfig: ValidateFunction; validateDefinition: ValidateFunction; validatePackage: ValidateFunction; validateLedger: ValidateFunction }
