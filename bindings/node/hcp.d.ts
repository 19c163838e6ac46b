// The package entry (hcp.js) re-exports the native module unchanged in shape; see index.d.ts.
export * from './index'
