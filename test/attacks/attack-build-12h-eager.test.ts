import { runInNewContext } from 'node:vm'
import ts from 'typescript'
import { describe, expect, it } from 'vitest'
import { eagerFactories } from '../../scripts/eager-factories.js'

/**
 * The eager rewrite of module factories must never change what a bundle does: a factory rewritten from an
 * arrow into a function expression sees `this` as the table and an `arguments` of its own. Each bundle here is
 * run as written and as rewritten, and what its modules export is compared.
 */
function bundle(factories: string[]): string {
  return [
    `var t={${factories.join(',')}};`,
    'var cache={};',
    'function n(id){if(cache[id])return cache[id].exports;var m=cache[id]={exports:{}};t[id](m,m.exports,n);return m.exports}',
  ].join('\n')
}

/**
 * Runs a bundle (module `1` first) inside a function called with one argument, as a CommonJS module is, and
 * describes what module 1 exports, `this` told apart as table or global.
 */
function run(code: string): string {
  return runInNewContext(
    `(function(){${code}\nvar out=n(1);return JSON.stringify(Object.fromEntries(Object.entries(out).map(([k,v])=>[k,v===t?'table':v===globalThis?'global':typeof v==='object'&&v!==null&&'length' in v&&!Array.isArray(v)?'arguments:'+v.length:v])))}).call(globalThis,'module')`,
    {},
  ) as string
}

function parses(code: string): boolean {
  const source = ts.createSourceFile('x.js', code, ts.ScriptTarget.Latest, true, ts.ScriptKind.JS)
  return (source as unknown as { parseDiagnostics: unknown[] }).parseDiagnostics.length === 0
}

/** Factories whose meaning depends on the factory being an arrow, or which only look as if they did. */
const cases: Record<string, string> = {
  'this in a nested arrow': '1:(e,t)=>{const f=()=>this;t.a=f()}',
  'arguments in a nested arrow': '1:(e,t)=>{const f=()=>arguments;t.a=f()}',
  'this in an arrow inside a class field initialiser (the instance: its own)': '1:(e,t)=>{class A{x=()=>this;y=this}t.a=new A().x()instanceof A}',
  'this in a computed class member name (the factory\'s)': '1:(e,t)=>{var k;class A{[(k=this,"m")](){}}t.a=k}',
  'this in a template literal': '1:(e,t)=>{t.a=`${this===globalThis}`}',
  'the word this in a string, a regex and a comment': '1:(e,t)=>{t.a="this arguments"+/this|arguments/.source/* this arguments */}',
  'arguments as a property name': '1:(e,t)=>{const o={arguments:1};t.a=o.arguments}',
  'this in an object method (its own)': '1:(e,t)=>{const o={m(){return this}};t.a=o.m()===o}',
  'this in an object getter (its own)': '1:(e,t)=>{const o={get g(){return this}};t.a=o.g===o}',
  'this in a default parameter of a nested function (its own)': '1:(e,t)=>{function f(a=this){return a}t.a=f.call(5)==5}',
  'this in a class extends clause': '1:(e,t)=>{var B=function(){};globalThis.B=B;class A extends(this.B||B){}t.a=new A()instanceof B}',
  'this in a class static block (the class)': '1:(e,t)=>{class A{static{A.s=this===A}}t.a=A.s}',
  'new.target in a nested arrow': '1:(e,t)=>{t.a=(()=>String(new.target))()}',
  'single parameter without parentheses': '1:e=>{e.exports.a=1}',
  'async factory': '1:async(e,t)=>{t.a=1}',
  'an indirect eval': '1:(e,t)=>{t.a=(0,eval)("typeof this")}',
  // The factory's own parameters are evaluated with its bindings too, not only its body.
  'this in a default parameter of the factory': '1:(e,t,n,r=this)=>{t.a=r}',
  'arguments in a default parameter of the factory': '1:(e,t,n,r=arguments)=>{t.a=r}',
  'this in an arrow of a default parameter of the factory': '1:(e,t,n,r=()=>this)=>{t.a=r()}',
}

describe('eager factories: a rewrite never changes what a bundle does', () => {
  for (const [name, factory] of Object.entries(cases)) {
    // A factory whose default parameter names `this` or `arguments` stays an arrow, like one whose body does.
    it(`${name}`, () => {
      const code = bundle([factory, '2:(e,t)=>{t.b=2}'])
      const { text } = eagerFactories('x.js', code)
      expect(parses(text)).toBe(true)
      if (name === 'async factory') return
      expect(run(text)).toBe(run(code))
    })
  }

  it('the same input gives the same bytes, and the output is a function of the input alone', () => {
    const code = bundle(Object.values(cases).map((f, i) => f.replace(/^1:/, `${i + 1}:`)))
    const first = eagerFactories('a.js', code)
    const second = eagerFactories('b.js', code)
    expect(second.text).toBe(first.text)
    expect(first.eager + first.kept).toBe(Object.keys(cases).length)
    // Rewriting the output again changes nothing (every factory is now a function in parentheses or kept).
    const again = eagerFactories('a.js', first.text)
    expect(again.text).toBe(first.text)
    expect(again.eager).toBe(0)
  })

  it('a table with a string key or a getter is left alone as a whole', () => {
    for (const code of ['var t={"1":(e,t)=>{t.a=this}};', 'var t={1:(e,t)=>{t.a=1},get 2(){return this}};']) {
      expect(eagerFactories('x.js', code)).toEqual({ text: code, eager: 0, kept: 0 })
    }
  })

  it('a factory keeps its name (its key) once rewritten', () => {
    const code = 'var t={2005:(e,t)=>{t.a=1}};JSON.stringify(t[2005].name)'
    const { text } = eagerFactories('x.js', code)
    expect(text).toContain('(function(e,t)')
    expect(runInNewContext(text)).toBe(runInNewContext(code))
  })
})
