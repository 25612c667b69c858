/**
 * Rewrites the CLI bundle so that V8 compiles its module factories while it compiles the file, instead of
 * compiling each one again when it is first run.
 *
 *   tsx scripts/eager-factories.ts dist/cli/index.js
 *
 * The bundle keeps every module in a table of factories, `var t = {2005: (e, t) => {...}, ...}`, and runs
 * each of them at start-up (the CLI's imports are static). V8 compiles a function lazily: while compiling
 * the file it only pre-parses a factory, and when the factory is first called it parses the whole body
 * again, with every function in it. One factory holds all of Gantry's own modules and most of the bundle,
 * so every command scanned most of the file twice before doing anything. A function expression written
 * right after an opening parenthesis, `(function (e, t) {...})`, is one V8 expects to be called soon and
 * compiles with the file, at once.
 *
 * So each factory that is an arrow function with a block body becomes such a function expression, and a
 * function expression not in parentheses is put in some (ncc writes the table and each factory in parentheses
 * when it does not minify, as for the action's bundle, dist/index.js: an arrow there is no more eager). The
 * bundle calls a factory as a method of the table (`t[id](module, exports, require)`): a function sees
 * `this` as the table and has its own `arguments`, where an arrow sees the module's, so a factory whose
 * body uses `this`, `arguments`, `new.target` or `super` (outside functions of its own), or eval, is left as it is.
 * Names are kept (a factory is still named by its key), and the output is a function of the input alone:
 * the build stays reproducible.
 */
import { readFileSync, writeFileSync } from 'node:fs'
import { pathToFileURL } from 'node:url'
import ts from 'typescript'

export interface EagerResult {
  text: string
  /** Factories rewritten as function expressions. */
  eager: number
  /** Factories left as arrows, because a function would bind `this` or `arguments` differently. */
  kept: number
}

export function eagerFactories(file: string, text: string): EagerResult {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const edits: { start: number; end: number; text: string }[] = []
  let eager = 0
  let kept = 0
  for (const statement of source.statements) {
    if (!ts.isVariableStatement(statement)) continue
    for (const declaration of statement.declarationList.declarations) {
      const table = declaration.initializer && unparenthesized(declaration.initializer)
      if (!table || !ts.isObjectLiteralExpression(table) || !isFactoryTable(table)) continue
      for (const property of table.properties) {
        const written = (property as ts.PropertyAssignment).initializer
        const factory = unparenthesized(written) as ts.ArrowFunction | ts.FunctionExpression
        const parenthesized = written !== factory
        // A function expression already in parentheses is compiled with the file.
        if (ts.isFunctionExpression(factory) && parenthesized) continue
        // A default parameter is evaluated with the function's own bindings too.
        if (
          ts.isArrowFunction(factory) &&
          (!ts.isBlock(factory.body) || bindsDifferently(factory.body) || factory.parameters.some(bindsDifferently))
        ) {
          kept++
          continue
        }
        eager++
        if (ts.isArrowFunction(factory)) {
          // `(params) => {` becomes `function (params) {`, in parentheses unless it is in some already.
          const parameters = text.slice(factory.parameters.pos, factory.parameters.end)
          const async = factory.modifiers?.some((m) => m.kind === ts.SyntaxKind.AsyncKeyword) ? 'async ' : ''
          const head = `${async}function(${parameters})`
          edits.push({
            start: factory.getStart(source),
            end: factory.body.getStart(source),
            text: parenthesized ? head : `(${head}`,
          })
          if (!parenthesized) edits.push({ start: factory.end, end: factory.end, text: ')' })
        } else {
          edits.push({ start: factory.getStart(source), end: factory.getStart(source), text: '(' })
          edits.push({ start: factory.end, end: factory.end, text: ')' })
        }
      }
    }
  }
  let out = ''
  let from = 0
  for (const edit of edits.sort((a, b) => a.start - b.start)) {
    out += text.slice(from, edit.start) + edit.text
    from = edit.end
  }
  return { text: out + text.slice(from), eager, kept }
}

function unparenthesized(node: ts.Expression): ts.Expression {
  while (ts.isParenthesizedExpression(node)) node = node.expression
  return node
}

/**
 * The bundle's module table: an object whose every property is a numeric key holding a function (an arrow or
 * a function expression, in parentheses or not: ncc writes them so when it does not minify, as for the action).
 */
function isFactoryTable(table: ts.ObjectLiteralExpression): boolean {
  return (
    table.properties.length > 0 &&
    table.properties.every((p) => {
      if (!ts.isPropertyAssignment(p) || !ts.isNumericLiteral(p.name)) return false
      const factory = unparenthesized(p.initializer)
      return ts.isArrowFunction(factory) || ts.isFunctionExpression(factory)
    })
  )
}

/** Whether the body (or a parameter) refers to `this`, `arguments`, `new.target` or `super` of the function around it (or calls eval). */
function bindsDifferently(body: ts.Node): boolean {
  let found = false
  const visit = (node: ts.Node): void => {
    if (found) return
    if (
      node.kind === ts.SyntaxKind.ThisKeyword ||
      node.kind === ts.SyntaxKind.SuperKeyword ||
      // A direct eval may name any of them in its text.
      (ts.isIdentifier(node) && (node.text === 'arguments' || node.text === 'eval')) ||
      (ts.isMetaProperty(node) && node.keywordToken === ts.SyntaxKind.NewKeyword)
    ) {
      found = true
      return
    }
    // Functions and class members bind these of their own; arrows and everything else share the factory's.
    if (
      ts.isFunctionDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isClassStaticBlockDeclaration(node) ||
      ts.isPropertyDeclaration(node)
    ) {
      // A computed member name is evaluated outside the member, with the factory's bindings.
      const named = node as ts.Node & { name?: ts.Node }
      if (named.name && ts.isComputedPropertyName(named.name)) visit(named.name)
      return
    }
    ts.forEachChild(node, visit)
  }
  visit(body)
  return found
}

// Run as a script (not imported by a test): rewrite the file named.
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const file = process.argv[2]
  if (!file) throw new Error('usage: tsx scripts/eager-factories.ts <file.js>')
  const text = readFileSync(file, 'utf8')
  const result = eagerFactories(file, text)
  if (result.eager === 0)
    throw new Error(`${file}: no module factory found to compile eagerly (has the bundle's layout changed?)`)
  if (result.text !== text) writeFileSync(file, result.text)
}
