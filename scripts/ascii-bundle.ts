/**
 * Rewrites a built JavaScript file so that it holds ASCII only: every other character is written as the
 * `\uXXXX` escape of the same UTF-16 code unit. V8 keeps a source with a single character outside Latin-1
 * as a two-byte string: decoding it, scanning it at start-up, and scanning each function again when it is
 * first called, all cost more. A few `…` in messages did that to the whole CLI bundle.
 *
 *   tsx scripts/ascii-bundle.ts dist/cli/index.js
 *
 * An escape means the same character only inside string literals, identifiers and the text of templates
 * that no tag function reads raw (`String.raw`), so the file is parsed and a character anywhere else (a
 * comment, a tagged template, a regular expression literal, whose `.source` would print the escape), or
 * right after a backslash, stops the build with its position. The output is a function of the input alone: the build stays reproducible.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

export function asciiOnly(file: string, text: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[^\u0000-\u007f]/.test(text)) return text
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  /** Start, end, and whether it is an identifier (where only a character of the BMP may be escaped so). */
  const escapable: [number, number, boolean][] = []
  const add = (node: ts.Node) =>
    escapable.push([node.getStart(source), node.end, ts.isIdentifier(node) || ts.isPrivateIdentifier(node)])
  const visit = (node: ts.Node): void => {
    if (ts.isTaggedTemplateExpression(node)) {
      // The template's text is read raw by its tag: only the expressions in it are walked.
      visit(node.tag)
      if (ts.isTemplateExpression(node.template)) for (const span of node.template.templateSpans) visit(span.expression)
      return
    }
    if (
      ts.isStringLiteral(node) ||
      ts.isIdentifier(node) ||
      ts.isPrivateIdentifier(node) ||
      ts.isNoSubstitutionTemplateLiteral(node) ||
      ts.isTemplateHead(node) ||
      ts.isTemplateMiddle(node) ||
      ts.isTemplateTail(node)
    )
      add(node)
    ts.forEachChild(node, visit)
  }
  visit(source)
  escapable.sort((a, b) => a[0] - b[0])
  let out = ''
  let from = 0
  let range = 0
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (c < 0x80) continue
    while (range < escapable.length && escapable[range]![1] <= i) range++
    const inside = range < escapable.length && escapable[range]![0] <= i
    const where = source.getLineAndCharacterOfPosition(i)
    const at = `${file}:${where.line + 1}:${where.character + 1}`
    if (!inside) throw new Error(`${at}: U+${c.toString(16).toUpperCase()} outside a literal or an identifier`)
    let backslashes = 0
    while (text.charCodeAt(i - 1 - backslashes) === 0x5c) backslashes++
    if (backslashes % 2 === 1) throw new Error(`${at}: U+${c.toString(16).toUpperCase()} right after a backslash`)
    if (escapable[range]![2] && c >= 0xd800 && c <= 0xdfff) throw new Error(`${at}: a character past U+FFFF in an identifier`)
    out += `${text.slice(from, i)}\\u${c.toString(16).padStart(4, '0')}`
    from = i + 1
  }
  return out + text.slice(from)
}

// Run as a script (not imported by a test): rewrite the file named.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: tsx scripts/ascii-bundle.ts <file.js>')
  const text = readFileSync(file, 'utf8')
  const ascii = asciiOnly(file, text)
  if (ascii !== text) writeFileSync(file, ascii)
}
