#!/usr/bin/env bash
# The Go package as a user outside the repository gets it (make go-package-test): a fresh module in
# a temporary folder requires github.com/hcpcore/hcpcore/bindings/go-ffi/go through a replace line,
# as the README's Go section shows, and builds the README's Go program
#   1. with only PKG_CONFIG_PATH set (pkg-config finds hcpcore.pc, written by `make go`),
#   2. with -tags hcpcore_ldflags and CGO_LDFLAGS=-L<dir>, no pkg-config path at all,
# runs it and checks it prints what the README says; `go vet` passes on it; and with no library
# found (3: nothing on PKG_CONFIG_PATH; 4: hcpcore_ldflags without -L) or without cgo (5) the build
# fails with a message that says what is missing.
#
# Usage: package-test.sh <release dir holding libhcp_ffi.a and pkgconfig/hcpcore.pc>
set -euo pipefail
release_dir=$(cd "$1" && pwd)
repo=$(cd "$(dirname "$0")/../.." && pwd)
module_dir=$repo/bindings/go-ffi/go
readme=$repo/README.md
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# The README's Go program: the ```go block after the marker comment; what it prints: the ```text
# block right after it (the convention of tests/readme/run_snippets.py).
extract() { # n-th fenced block after the marker: 1 = the program, 2 = its output
  awk -v want="$1" '
    index($0, "<!-- go-package-test: main.go -->") { armed = 1; next }
    armed && /^```[a-z]+$/ && !inside { n++; inside = 1; next }
    inside && $0 == "```" { inside = 0; if (n == want) exit; next }
    inside && n == want { print }' "$readme"
}
mkdir -p "$work/app" "$work/empty"
extract 1 > "$work/app/main.go"
extract 2 > "$work/expected.txt"
[ -s "$work/app/main.go" ] && [ -s "$work/expected.txt" ] || { echo "README: Go program or its output not found"; exit 1; }
cat > "$work/app/go.mod" <<MOD
module example.com/hcpuser

go 1.22

require github.com/hcpcore/hcpcore/bindings/go-ffi/go v0.0.0

replace github.com/hcpcore/hcpcore/bindings/go-ffi/go => $module_dir
MOD

# A user's environment: nothing of this repository's Makefile, only what each case names.
user_go() {
  env -i PATH="$PATH" HOME="$HOME" GOCACHE="$(go env GOCACHE)" GOMODCACHE="$(go env GOMODCACHE)" \
    GOPATH="$(go env GOPATH)" GOPROXY=off GOFLAGS= GOTOOLCHAIN=local "$@"
}
cd "$work/app"

echo "go-package-test: 1. PKG_CONFIG_PATH only"
user_go PKG_CONFIG_PATH="$release_dir/pkgconfig" go vet .
user_go PKG_CONFIG_PATH="$release_dir/pkgconfig" go run . > "$work/out1.txt"
diff -u "$work/expected.txt" "$work/out1.txt"

echo "go-package-test: 2. -tags hcpcore_ldflags with CGO_LDFLAGS=-L<dir>"
user_go CGO_LDFLAGS="-L$release_dir" go run -tags hcpcore_ldflags . > "$work/out2.txt"
diff -u "$work/expected.txt" "$work/out2.txt"

# The failing cases run on an empty build cache, as a new user's: a cached build of the package
# would carry the linker flags of an earlier, successful pkg-config run.
must_fail() { # case, expected text, command...
  local what=$1 want=$2; shift 2
  if user_go GOCACHE="$work/gocache" "$@" > "$work/fail.txt" 2>&1; then
    echo "go-package-test: $what: the build succeeded, want a failure"; exit 1
  fi
  if ! grep -qF -- "$want" "$work/fail.txt"; then
    echo "go-package-test: $what: the failure does not say \"$want\":"; cat "$work/fail.txt"; exit 1
  fi
  echo "go-package-test: $what: fails with: $(grep -F -- "$want" "$work/fail.txt" | head -1)"
}
must_fail "3. no hcpcore.pc" "Package hcpcore was not found in the pkg-config search path" \
  PKG_CONFIG_PATH="$work/empty" go build -o /dev/null .
must_fail "4. hcpcore_ldflags without -L" "cannot find -lhcp_ffi" go build -tags hcpcore_ldflags -o /dev/null .
must_fail "5. without cgo" "hcpcore_needs_cgo__set_CGO_ENABLED_1_with_a_C_compiler__then_see_README_Go" \
  CGO_ENABLED=0 PKG_CONFIG_PATH="$release_dir/pkgconfig" go build -o /dev/null .
echo "go-package-test: passed"
