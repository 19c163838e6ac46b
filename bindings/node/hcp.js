// Entry point of the npm package `hcpcore`: the native module (native.js loads it) with
// one adjustment so that every error a caller can cause carries an hcp kind as its `code` and
// names the argument at fault.
//
// hcp's own errors already do (`err.code === 'InvalidInput'`, message `field: reason`). Errors
// raised by N-API's argument conversion before hcp runs (a string where a number belongs, a plain
// object where a Market belongs) arrive with N-API status codes such as 'InvalidArg' or
// 'NumberExpected'; they are bad input too, so they are re-labelled 'InvalidInput' (the original
// stays in `err.napiCode`) and their message is prefixed with the parameter's name, found by
// matching the call's arguments against the generated signatures in index.d.ts (read only when
// such an error happens). Any other N-API status is a failure inside the binding: 'Internal'.
//
// Every export is wrapped: functions, constructors, static factories (`Charge.fromDict`,
// `Plan.fromDict`, `Ledger.open`, ...), methods and getters, and the Promises of `…Async` calls. Classes are exported as a thin
// constructor that shares the native prototype, so `instanceof` and native `this` checks hold.
'use strict'

const fs = require('node:fs')
const path = require('node:path')
const native = require('./native.js')

const HCP_KINDS = new Set([
  'InvalidInput', 'NotFound', 'Conflict', 'CapacityExceeded', 'IllegalTransition', 'Storage', 'OutOfMemory',
  'Closed', 'Internal',
])

// ------------------------------------------------------------------ signatures (error path only)

let signatures = null // 'fn' | 'Class.constructor' | 'Class.method' → [{ name, type, optional }]
let interfaces = null // interface name → true

function splitTop(text, sep) {
  const out = []
  let depth = 0
  let start = 0
  let quote = null
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (quote) {
      if (c === quote) quote = null
    } else if (c === "'" || c === '"') quote = c
    else if ('<({['.includes(c)) depth++
    else if ('>)}]'.includes(c) && !(c === '>' && text[i - 1] === '=')) depth--
    else if (c === sep && depth === 0) {
      out.push(text.slice(start, i))
      start = i + 1
    }
  }
  out.push(text.slice(start))
  return out.map((s) => s.trim()).filter((s) => s.length > 0)
}

function parseParams(text) {
  return splitTop(text, ',').map((p) => {
    const m = /^(\w+)(\?)?:\s*(.*)$/s.exec(p)
    if (!m) return { name: p, type: 'any', optional: true }
    const alts = splitTop(m[3], '|')
    return { name: m[1], type: m[3], optional: !!m[2] || alts.includes('undefined') || alts.includes('null') }
  })
}

function loadSignatures() {
  if (signatures) return signatures
  signatures = new Map()
  interfaces = new Set()
  let text = ''
  try {
    text = fs.readFileSync(path.join(__dirname, 'index.d.ts'), 'utf8')
  } catch {
    return signatures
  }
  let cls = null
  for (const line of text.split('\n')) {
    let m
    if ((m = /^export declare class (\w+)/.exec(line))) cls = m[1]
    else if ((m = /^export interface (\w+)/.exec(line))) interfaces.add(m[1])
    else if (line.startsWith('}')) cls = null
    else if ((m = /^export declare function (\w+)\((.*)\)(?::|$)/.exec(line))) signatures.set(m[1], parseParams(m[2]))
    else if (cls && (m = /^ {2}(?:static )?(\w+)\((.*)\)(?::|$)/.exec(line))) {
      signatures.set(`${cls}.${m[1]}`, parseParams(m[2]))
    }
  }
  return signatures
}

const TYPED = new Set([
  'Float64Array', 'Float32Array', 'Uint8Array', 'Uint16Array', 'Uint32Array', 'Int8Array', 'Int16Array', 'Int32Array',
  'Uint8ClampedArray', 'BigInt64Array', 'BigUint64Array', 'ArrayBuffer', 'Buffer',
])

// Whether `v` can be of the TypeScript type `type` (shallow: enough to find the argument at fault).
function fits(v, type) {
  return splitTop(type, '|').some((t) => {
    if (t === 'undefined') return v === undefined
    if (t === 'null') return v === null
    if (t === 'any' || t === 'unknown') return true
    if (t === 'number') return typeof v === 'number'
    if (t === 'string' || /^'.*'$/.test(t)) return typeof v === 'string'
    if (t === 'boolean') return typeof v === 'boolean'
    if (/^Array<.*>$/s.test(t) || /\[\]$/.test(t)) return Array.isArray(v)
    if (TYPED.has(t)) return typeof globalThis[t] === 'function' && v instanceof globalThis[t]
    if (typeof native[t] === 'function' && native[t].prototype) return v instanceof native[t]
    if (t.startsWith('Record<') || t.startsWith('{') || interfaces.has(t)) {
      return typeof v === 'object' && v !== null && !Array.isArray(v)
    }
    return true
  })
}

function describe(v) {
  if (v === null) return 'null'
  if (Array.isArray(v)) return 'an array'
  if (typeof v === 'object') return v.constructor && v.constructor.name ? `a ${v.constructor.name}` : 'an object'
  if (typeof v === 'number') return `the number ${v}`
  return `a ${typeof v}`
}

// The message of a conversion error, prefixed with the parameter it concerns.
function nameArgument(where, args, message) {
  const params = loadSignatures().get(where)
  if (!params) return `${where}: ${message}`
  for (let i = 0; i < params.length; i++) {
    const p = params[i]
    const v = args[i]
    if ((v === undefined || v === null) && p.optional) continue
    if (!fits(v, p.type)) return `${p.name}: must be ${p.type}, got ${describe(v)}`
  }
  // Every argument has the right shape at the top: the fault is inside an object or array one;
  // N-API's message names the field within it (`on MarketInit.btcUsd`, `Missing field ...`).
  // A list longer than the stated maximum (hcpcore::limits::MAX_BATCH), refused before conversion.
  const long = params.filter((p, i) => Array.isArray(args[i]) && args[i].length > 1_048_576)
  if (message.startsWith('length must be at most') && long.length > 0) return `${long[0].name}: ${message}`
  const inner = params.filter((p, i) => args[i] !== undefined && args[i] !== null && typeof args[i] === 'object')
  if (inner.length === 1) return `${inner[0].name}: ${message}`
  return `${where}(${params.map((p) => p.name).join(', ')}): ${message}`
}

// ------------------------------------------------------------------ wrapping

function relabel(err, where, args) {
  if (!(err instanceof Error) || typeof err.code !== 'string') {
    // Every error the native module raises carries a code (an hcp kind or an N-API status). One
    // without a code is JavaScript's own, raised while N-API read the caller's argument: a getter
    // or toJSON that throws, or N-API's JSON.stringify of a wrong-typed, cyclic, BigInt-holding
    // or very deep object for its message. The argument is at fault: InvalidInput.
    let message = 'could not be read'
    try {
      message = nameArgument(where, args, `could not be read (${err instanceof Error ? err.message : String(err)})`)
    } catch {
      // keep the generic message
    }
    const e = new Error(message, { cause: err })
    e.code = 'InvalidInput'
    return e
  }
  if (!HCP_KINDS.has(err.code)) {
    err.napiCode = err.code
    if (err.code === 'InvalidArg' || err.code.endsWith('Expected')) {
      err.code = 'InvalidInput'
      try {
        err.message = nameArgument(where, args, err.message)
      } catch {
        // naming is best effort; the kind is what callers branch on
      }
    } else err.code = 'Internal'
  }
  return err
}

// The `…Async` exports (napi AsyncTasks) return a Promise: its rejection is relabelled the same
// way, and a bad argument, which the native side refuses before the task starts, rejects the
// Promise too instead of throwing, so a caller handles every error of an async call in one place.
function wrapFunction(fn, where) {
  const isAsync = /Async$/.test(where)
  return function hcpCall(...args) {
    let result
    try {
      result = fn.apply(this, args)
    } catch (err) {
      if (isAsync) return Promise.reject(relabel(err, where, args))
      throw relabel(err, where, args)
    }
    if (isAsync && result && typeof result.then === 'function') {
      return result.then(undefined, (err) => {
        throw relabel(err, where, args)
      })
    }
    return result
  }
}

function wrapClass(cls, name) {
  const proto = cls.prototype
  for (const key of Object.getOwnPropertyNames(proto)) {
    if (key === 'constructor') continue
    const d = Object.getOwnPropertyDescriptor(proto, key)
    if (!d || !d.configurable) continue
    if (typeof d.value === 'function') {
      Object.defineProperty(proto, key, { ...d, value: wrapFunction(d.value, `${name}.${key}`) })
    } else if (typeof d.get === 'function') {
      Object.defineProperty(proto, key, {
        ...d,
        get: wrapFunction(d.get, `${name}.${key}`),
        set: d.set && wrapFunction(d.set, `${name}.${key}`),
      })
    }
  }
  // napi-rs defines static factories as non-writable, non-configurable properties of the native
  // class, so they cannot be replaced in place (nor through a Proxy): the exported class is a new
  // constructor with the same prototype, carrying wrapped copies of the statics.
  const where = `${name}.constructor`
  const Exported = {
    [name]: function (...args) {
      if (new.target === undefined) {
        throw relabel(Object.assign(new TypeError(`Class constructor ${name} cannot be invoked without 'new'`), {
          code: 'InvalidArg',
        }), where, args)
      }
      try {
        return Reflect.construct(cls, args, new.target === Exported ? cls : new.target)
      } catch (err) {
        throw relabel(err, where, args)
      }
    },
  }[name]
  Object.defineProperty(Exported, 'prototype', { value: proto, writable: false })
  for (const key of Object.getOwnPropertyNames(cls)) {
    if (key === 'prototype' || key === 'length' || key === 'name') continue
    const d = Object.getOwnPropertyDescriptor(cls, key)
    if (typeof d.value === 'function') {
      Object.defineProperty(Exported, key, { value: wrapFunction(d.value, `${name}.${key}`), enumerable: d.enumerable })
    } else Object.defineProperty(Exported, key, d)
  }
  return Exported
}

const isClass = (v) => typeof v === 'function' && /^class[\s{]/.test(Function.prototype.toString.call(v))

for (const [name, value] of Object.entries(native)) {
  if (typeof value !== 'function') module.exports[name] = value
  else if (isClass(value) || (value.prototype && Object.getOwnPropertyNames(value.prototype).length > 1)) {
    module.exports[name] = wrapClass(value, name)
  } else module.exports[name] = wrapFunction(value, name)
}
