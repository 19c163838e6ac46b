// Loads hcpcore's native module: the one file `hcpcore.<platform>.node` that ships inside this
// package (built by `npm run build`, which needs Rust). Unlike the loader napi-rs generates, it
// never looks for per-platform npm packages: none are published, so a missing file is reported
// as what it is, with what to run.
'use strict'

const { existsSync } = require('node:fs')
const { join } = require('node:path')

function isMusl() {
  // glibc's Node reports its version in the process report; musl's does not.
  if (process.platform !== 'linux') return false
  try {
    const report = typeof process.report?.getReport === 'function' ? process.report.getReport() : null
    if (report && report.header) return !report.header.glibcVersionRuntime
  } catch {
    // fall through: assume glibc
  }
  return false
}

function platformTag() {
  const { platform, arch } = process
  if (platform === 'linux') return `linux-${arch}-${isMusl() ? 'musl' : 'gnu'}`
  if (platform === 'win32') return `win32-${arch}-msvc`
  return `${platform}-${arch}`
}

function load() {
  if (process.env.NAPI_RS_NATIVE_LIBRARY_PATH) return require(process.env.NAPI_RS_NATIVE_LIBRARY_PATH)
  const file = join(__dirname, `hcpcore.${platformTag()}.node`)
  if (!existsSync(file)) {
    const err = new Error(
      `hcpcore: no native module for this platform (${platformTag()}): ${file} does not exist. ` +
        'This package carries the module it was built on; build one for this machine from the ' +
        'source with `npm run build` in the package folder (needs Rust: https://rustup.rs), or ' +
        'point NAPI_RS_NATIVE_LIBRARY_PATH at a built hcpcore .node file.',
    )
    err.code = 'Internal'
    throw err
  }
  return require(file)
}

module.exports = load()
