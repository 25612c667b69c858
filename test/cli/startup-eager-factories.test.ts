import { readFileSync } from 'node:fs'
import { runInNewContext } from 'node:vm'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { eagerFactories } from '../../scripts/eager-factories.js'

/** A bundle shaped as the CLI's: a table of module factories, each run once as a method of the table. */
function bundle(factories: string[]): string {
  return [
    `var t={${factories.join(',')}};`,
    'var cache={};',
    'function n(id){if(cache[id])return cache[id].exports;var m=cache[id]={exports:{}};t[id](m,m.exports,n);return m.exports}',
    'var names=Object.keys(t).map((k)=>t[k].name);',
  ].join('\n')
}

/** Runs a bundle and returns what its modules export, with each factory's name. */
function run(code: string, ids: number[]): unknown {
  return runInNewContext(
    `${code}\nJSON.stringify({exports:[${ids.map((id) => `n(${id})`).join(',')}],names})`,
  )
}

/** Every factory of the table rewritten, whatever its body uses. */
function eagerAll(code: string): string {
  return code.replace(/(\d+:)\((e,t)\)=>(\{.*?\})(?=,\d+:|\};)/g, '$1(function($2)$3)')
}

/** The factories of the table, as the text that defines each. */
function factoriesOf(code: string): string[] {
  const source = ts.createSourceFile('x.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  const statement = source.statements[0] as ts.VariableStatement
  const table = statement.declarationList.declarations[0]!.initializer as ts.ObjectLiteralExpression
  return table.properties.map((p) => (p as ts.PropertyAssignment).initializer.getText(source))
}

describe('module factories of the CLI bundle compiled with the file (scripts/eager-factories.ts)', () => {
  it('rewrites each factory as a function expression in parentheses, exporting the same', () => {
    const code = bundle([
      '1:(e,t,n)=>{const r=n(2);t.sum=r.a+r.b;t.shout=(x)=>x.toUpperCase()+"!"}',
      '2:(e)=>{e.exports={a:1,b:2}}',
      '3:(e,t)=>{t.later=async()=>1;function own(){return this===undefined}t.own=own()}',
    ])
    const result = eagerFactories('x.js', code)
    expect(result).toMatchObject({ eager: 3, kept: 0 })
    expect(factoriesOf(result.text).every((f) => f.startsWith('(function(') && f.endsWith('})'))).toBe(true)
    expect(run(result.text, [1, 2, 3])).toBe(run(code, [1, 2, 3]))
    // The factories keep the names of their keys, as in a stack trace.
    expect(JSON.parse(run(result.text, []) as string).names).toEqual(['1', '2', '3'])
  })

  it('keeps an async factory async', () => {
    const code = bundle(['7:async(e,t)=>{t.v=await 1}'])
    const result = eagerFactories('x.js', code)
    expect(factoriesOf(result.text)).toEqual(['(async function(e,t){t.v=await 1})'])
  })

  it('leaves a factory whose body uses the bindings of the function around it', () => {
    const sharing = [
      '1:(e,t)=>{t.self=this===globalThis}',
      '2:(e,t)=>{t.count=typeof arguments}',
      '3:(e,t)=>{const f=()=>this;t.arrow=f()===globalThis}',
      '4:(e,t)=>{class A{[this===globalThis?"g":"t"]=1}t.a=new A}',
      '8:(e,t)=>{t.e=eval("typeof arguments")}',
    ]
    const own = [
      '5:(e,t)=>{function f(){return this}t.f=f.call(2)}',
      '6:(e,t)=>{class B{x=this;static{this.y=1}m(){return arguments.length}}t.b=new B().m(1,2)}',
      '7:(e,t)=>{t.o={get g(){return this.h},h:3}.g}',
    ]
    const code = bundle([...sharing, ...own])
    const result = eagerFactories('x.js', code)
    expect(result).toMatchObject({ eager: 3, kept: 5 })
    const factories = factoriesOf(result.text)
    expect(factories.slice(0, 5).every((f) => f.startsWith('(e,t)=>'))).toBe(true)
    expect(factories.slice(5).every((f) => f.startsWith('(function(e,t){'))).toBe(true)
    // Without the arrows left, the table (`this` of a method call) would show through: the same exports.
    const ids = [1, 2, 3, 4, 5, 6, 7, 8]
    expect(run(result.text, ids)).toBe(run(code, ids))
    expect(run(eagerAll(code), ids)).not.toBe(run(code, ids))
  })

  it('takes the layout of a bundle not minified: factories and the table in parentheses', () => {
    const code = [
      'var t=({1:((e,t,n)=>{t.v=n(2).w+1}),2:(function(e,t){t.w=this===undefined?0:1}),3:function(e,t){t.u=2}});',
      'var cache={};',
      'function n(id){if(cache[id])return cache[id].exports;var m=cache[id]={exports:{}};t[id](m,m.exports,n);return m.exports}',
      'var names=Object.keys(t).map((k)=>t[k].name);',
    ].join('\n')
    const result = eagerFactories('x.js', code)
    expect(result).toMatchObject({ eager: 2, kept: 0 })
    expect(result.text.split('\n')[0]).toBe(
      'var t=({1:(function(e,t,n){t.v=n(2).w+1}),2:(function(e,t){t.w=this===undefined?0:1}),3:(function(e,t){t.u=2})});',
    )
    expect(run(result.text, [1, 2, 3])).toBe(run(code, [1, 2, 3]))
  })

  it('touches nothing but the table of factories', () => {
    const code = 'var a={1:(x)=>x+1};var b={1:(x)=>{return x},c:2};function f(){var t={1:(e)=>{}}}'
    // The first table's factory has no block body, the second object is no table, the third is not at the top.
    expect(eagerFactories('x.js', code)).toEqual({ text: code, eager: 0, kept: 1 })
  })

  it('the rewrite is a function of the text alone', () => {
    const code = bundle(['1:(e,t)=>{t.a=1}'])
    expect(eagerFactories('a.js', code)).toEqual(eagerFactories('b.js', code))
  })

  it('npm run build:cli rewrites the bundle', () => {
    const scripts = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')).scripts
    expect(scripts['build:cli']).toMatch(/&& tsx scripts\/eager-factories\.ts dist\/cli\/index\.js &&/)
  })

  // The bundle is built by `npm run build:cli` (never committed): GANTRY_TEST_BUILT_CLI names it.
  const built = process.env.GANTRY_TEST_BUILT_CLI
  it.skipIf(!built)('the built CLI holds no factory left to compile lazily', () => {
    const text = readFileSync(built!, 'utf8')
    expect(text).toMatch(
      /^#!\/usr\/bin\/env node\nimport\{createRequire as \w+\}from"module";var \w+=\{\d+:\(function\(/,
    )
    expect(eagerFactories(built!, text)).toEqual({ text, eager: 0, kept: 0 })
  })
})
