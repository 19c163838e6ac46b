// Shared-vector helpers: load tests/vectors/<module>.json and compare the way every language's
// suite does (numbers within max(abs_tol, rel_tol·|want|), objects by the keys given).
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import assert from 'node:assert/strict'

export function load(module) {
  const url = new URL(`../../../tests/vectors/${module}.json`, import.meta.url)
  return JSON.parse(readFileSync(fileURLToPath(url), 'utf8'))
}

/** A number, or one of the strings "NaN", "Infinity", "-Infinity". */
export function num(v) {
  if (v === 'NaN') return NaN
  if (v === 'Infinity') return Infinity
  if (v === '-Infinity') return -Infinity
  return Number(v)
}

/** snake_case → camelCase, for keys and names. */
export const camel = (s) => s.replace(/_([a-z0-9])/g, (_, c) => c.toUpperCase())

/** Compares `got` with `want`; `want` keys are snake_case, `got` keys may be camelCase. */
export function close(got, want, rel, abs, path = 'value') {
  if (typeof want === 'number') {
    const g = Number(got)
    const tol = Math.max(abs, rel * Math.abs(want))
    assert.ok(Number.isFinite(g) && Math.abs(g - want) <= tol, `${path}: got ${g}, want ${want} (tol ${tol})`)
  } else if (Array.isArray(want)) {
    assert.equal(got.length, want.length, `${path}: length`)
    want.forEach((w, i) => close(got[i], w, rel, abs, `${path}[${i}]`))
  } else if (want !== null && typeof want === 'object') {
    for (const [k, w] of Object.entries(want)) {
      const key = k in got ? k : camel(k)
      assert.ok(key in got, `${path}: missing key ${k}`)
      close(got[key], w, rel, abs, `${path}.${k}`)
    }
  } else {
    assert.equal(got, want, path)
  }
}
