#!/usr/bin/env bash
# The npm package as a user gets it: `npm pack`, install the tarball into a fresh project outside
# the repository, and use it from CommonJS, from ES modules, and from TypeScript compiled under
# "module": "nodenext" (.mts and .cts) and under "moduleResolution": "bundler" — each compiled
# file is then run by real Node, and every output line is checked. Run by `make node-package-test`.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
pkg=$(cd "$here/.." && pwd)
tsc="$pkg/node_modules/typescript/bin/tsc"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"; rm -f "$pkg/LICENSE"' EXIT

(cd "$pkg" && npm pack --silent --pack-destination "$tmp" >/dev/null)
tarball=$(ls "$tmp"/hcpcore-*.tgz)
contents=$(tar -tzf "$tarball")
for f in package/README.md package/LICENSE package/package.json package/hcp.js package/hcp.mjs \
         package/hcp.d.ts package/hcp.d.mts package/index.d.ts package/native.js; do
  grep -qx "$f" <<<"$contents" || { echo "npm pack: $f missing from $tarball"; exit 1; }
done
grep -q '^package/hcpcore\..*\.node$' <<<"$contents" || { echo "npm pack: no native module in $tarball"; exit 1; }
if grep -q '^package/\(src\|test\|target\)/' <<<"$contents"; then echo "npm pack: sources or tests shipped"; exit 1; fi

proj="$tmp/project"
mkdir -p "$proj"
cp "$here"/usage.* "$proj"/
cd "$proj"
printf '{ "name": "consumer", "version": "1.0.0", "private": true }\n' > package.json
npm install --silent --no-audit --no-fund "$tarball"

expect() { # expect <label> <command...>
  local label=$1; shift
  local out; out=$("$@")
  [[ "$out" == "$label 62.86 true"* ]] || { echo "$label: unexpected output: $out"; exit 1; }
  echo "ok   $label: $out"
}
expect cjs node usage.cjs
expect esm node usage.mjs

common='"strict": true, "target": "ES2022", "lib": ["ES2022", "DOM"], "types": [], "skipLibCheck": false'
printf '{ "compilerOptions": { %s, "module": "nodenext", "moduleResolution": "nodenext", "outDir": "out-nodenext" }, "files": ["usage.mts", "usage.cts"] }\n' "$common" > tsconfig.nodenext.json
node "$tsc" -p tsconfig.nodenext.json
expect ts-esm node out-nodenext/usage.mjs
expect ts-cjs node out-nodenext/usage.cjs

printf '{ "compilerOptions": { %s, "module": "esnext", "moduleResolution": "bundler", "outDir": "out-bundler" }, "files": ["usage.ts"] }\n' "$common" > tsconfig.bundler.json
node "$tsc" -p tsconfig.bundler.json
printf '{ "type": "module" }\n' > out-bundler/package.json
expect ts-bundler node out-bundler/usage.js
echo "node package: installs from its tarball and runs from CJS, ESM and TypeScript (nodenext, bundler)"
