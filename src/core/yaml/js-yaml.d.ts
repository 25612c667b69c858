// The part of js-yaml's API that Gantry uses (the package ships no type declarations).
declare module 'js-yaml' {
  export class Type {
    constructor(
      tag: string,
      options: { kind: 'scalar'; resolve: (data: string) => boolean; construct: (data: string) => unknown },
    )
  }
  export class Schema {
    constructor(definition: { implicit?: Type[]; explicit?: Type[] })
  }
  /** What the loader shows a listener: the node being composed, as far as it has been read. */
  export interface LoaderState {
    readonly input: string
    readonly position: number
    readonly kind: 'scalar' | 'sequence' | 'mapping' | null
    readonly tag: string | null
    readonly anchor: string | null
  }
  export interface LoadOptions {
    schema?: Schema
    json?: boolean
    maxDepth?: number
    onWarning?: (warning: Error) => void
    listener?: (event: 'open' | 'close', state: LoaderState) => void
  }
  export function load(text: string, options?: LoadOptions): unknown
}
