// Replays tests/vectors/serve.json, the serving cases the Rust, Python and Go suites replay too.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { load, camel, close } from './vectors.mjs'

const hcp = createRequire(import.meta.url)('../hcp.js')
const doc = load('serve')
const { relative: REL, absolute: ABS } = doc.tolerance
const LLAMA8B = { params: 8e9, bytes_per_param: 2 }

const camelObject = (o) =>
  Array.isArray(o)
    ? o.map(camelObject)
    : o !== null && typeof o === 'object'
      ? Object.fromEntries(Object.entries(o).map(([k, v]) => [camel(k), camelObject(v)]))
      : o

const server = (c) =>
  new hcp.Server(new hcp.H100(c.gpu ?? 'sxm'), camelObject(c.model ?? LLAMA8B), camelObject(c.config ?? {}))

function requests(spec) {
  if (spec.columns) return [spec.columns.arrival_seconds, spec.columns.prompt_tokens, spec.columns.output_tokens]
  if (spec.azure) {
    const t = hcp.azureTrace(spec.azure)
    return [t.arrivalSeconds, t.promptTokens, t.outputTokens].map((a) => a.subarray(0, spec.head))
  }
  const s = hcp.syntheticRequests(camelObject(spec.synthetic))
  return [s.arrivalSeconds, s.promptTokens, s.outputTokens]
}

for (const c of doc.runs) {
  test(`run: ${c.name}`, () => {
    const tenant = c.requests.columns?.tenant
    const r = server(c).run(...requests(c.requests), tenant ? { tenant } : undefined)
    const got = {
      replica: Array.from(r.replica),
      queue_seconds: Array.from(r.queueSeconds),
      ttft_seconds: Array.from(r.ttftSeconds),
      tpot_seconds: Array.from(r.tpotSeconds),
      e2e_seconds: Array.from(r.e2eSeconds),
      preemptions: Array.from(r.preemptions),
      tenants: r.tenants,
      summary: Object.fromEntries(
        Object.keys(c.expect.summary).map((k) => [
          k,
          k === 'ttft_p99_seconds' ? r.summary.ttftSeconds.p99 : r.summary[camel(k)],
        ]),
      ),
    }
    close(got, c.expect, REL, ABS, c.name)
  })
}

for (const c of doc.errors) {
  test(`error: ${c.name}`, () => {
    const cols = c.columns ?? { arrival_seconds: [0], prompt_tokens: [10], output_tokens: [10] }
    assert.throws(
      () => server(c).run(cols.arrival_seconds, cols.prompt_tokens, cols.output_tokens),
      (e) => {
        assert.equal(e.code, c.error, e.message)
        // JS names the columns in camelCase; the entry index is the same.
        const field = c.field.replace(/^[a-z_]+/, (m) => camel(m))
        assert.ok(e.message.startsWith(`${field}:`) || e.message.startsWith(`${c.field}:`), e.message)
        return true
      },
    )
  })
}

for (const c of doc.synthetic) {
  test(`synthetic: ${c.name}`, () => {
    const s = hcp.syntheticRequests(camelObject(c.stream))
    const got = {
      arrival_seconds: Array.from(s.arrivalSeconds),
      prompt_tokens: Array.from(s.promptTokens),
      output_tokens: Array.from(s.outputTokens),
    }
    close(got, c.expect, REL, ABS, c.name)
  })
}

for (const c of doc.traces) {
  test(`trace: ${c.trace}`, () => {
    const t = hcp.azureTrace(c.trace)
    assert.equal(t.arrivalSeconds.length, c.requests)
    const head = (a) => Array.from(a.subarray(0, 5))
    close(
      { arrival_seconds: head(t.arrivalSeconds), prompt_tokens: head(t.promptTokens), output_tokens: head(t.outputTokens) },
      c.head,
      REL,
      ABS,
      c.trace,
    )
  })
}

for (const c of doc.aggregate) {
  test(`aggregate: ${c.name}`, () => {
    close(server(c).aggregate(camelObject(c.load)), c.expect, REL, ABS, c.name)
  })
}
