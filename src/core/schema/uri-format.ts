import { fullFormats } from './standalone-runtime.js'

/**
 * ajv-formats' `uri` format (docs/file-formats.md: kind schemas may use the formats of ajv-formats), answering
 * the same for every string, without compiling ajv-formats' expression for the common form of an absolute URI.
 *
 * That expression takes most IPv6 address forms as a host; V8 compiles it when it first runs, which cost about
 * 10-20 ms in every validation of a repository whose kinds use the format. COMMON_URI is the same expression
 * with fewer branches: `//` always (not `/` or nothing), no user information before the host, and the host
 * only a registered name (which takes dotted IPv4 addresses too), each character class as written there. What
 * it matches, the full expression matches (and it holds a `:`, which the format also asks for), so a string
 * it takes is a URI; any other is asked of the full format, whose answer stands.
 */
const COMMON_URI =
  /^[a-z][a-z0-9+\-.]*:\/\/(?:[a-z0-9\-._~!$&'()*+,;=]|%[0-9a-f]{2})*(?::\d*)?(?:\/(?:[a-z0-9\-._~!$&'()*+,;=:@]|%[0-9a-f]{2})*)*(?:\?(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?(?:#(?:[a-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9a-f]{2})*)?$/i

const fullUri = fullFormats.uri as (text: string) => boolean

/** Whether `text` is a URI as ajv-formats' `uri` format says. */
export function uri(text: string): boolean {
  return COMMON_URI.test(text) || fullUri(text)
}
