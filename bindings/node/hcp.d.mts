// Types of the ES-module entry (hcp.mjs): the same names as the CommonJS entry, plus the module
// object as the default export.
export * from './index.js'
import * as hcpcore from './index.js'
export default hcpcore
