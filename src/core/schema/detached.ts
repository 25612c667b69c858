/**
 * A string with the characters of `s` that refers to no other string: a string a parser cut from a file's text
 * keeps that whole text alive while it is kept (a memo key, a name in the model). Joined to a character then
 * cut, the text is copied once into a string of its own (V8 flattens a joined string before cutting it, and a
 * short result is copied outright): several times cheaper than structuredClone, which serializes it.
 */
export function detached(s: string): string {
  return ` ${s}`.slice(1)
}
