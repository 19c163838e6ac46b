"""Runs every code snippet of README.md, so that none can drift from the code.

`make readme-test` runs it after the bindings are built. Each fenced block in a language below is
extracted and run as a user would run it, in a fresh temporary folder outside the repository:

- ``python``: with the virtualenv's interpreter, where ``hcpcore`` is installed;
- ``js``: as an ES module (``.mjs``) by Node, importing the package by its name ``hcpcore``;
- ``ts``: compiled by ``tsc`` (``"moduleResolution": "bundler"``, ES module output), then run by Node;
- ``go``: as ``package main`` of a fresh module that requires the Go package through a ``replace``
  line, exactly as the README tells a user to do (the library is found by pkg-config);
- ``rust``: compiled and run by ``cargo test --doc`` (core/src/lib.rs includes this README as a
  doctest), not here.

When a block is followed directly by a ``text`` block, that block is what the snippet must print,
line for line. Blocks in other languages (``sh``, ``text``, none) are not run.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RUN = {"python", "js", "ts", "go"}
GO_MODULE = "github.com/hcpcore/hcpcore/bindings/go-ffi/go"


@dataclass
class Snippet:
    lang: str
    code: str
    line: int
    expected: str | None


def snippets(readme: Path) -> list[Snippet]:
    text = readme.read_text(encoding="utf-8")
    blocks = [
        (m.group(1).strip(), m.group(2), text.count("\n", 0, m.start()) + 1, m.end())
        for m in re.finditer(r"^```([^\n`]*)\n(.*?)^```[ \t]*$", text, flags=re.M | re.S)
    ]
    out: list[Snippet] = []
    for i, (lang, code, line, end) in enumerate(blocks):
        if lang not in RUN:
            continue
        expected = None
        if i + 1 < len(blocks) and blocks[i + 1][0] == "text" and text[end : end + 2].strip() == "":
            between = text[end : text.rfind("```text", 0, blocks[i + 1][3])]
            if between.strip() == "":
                expected = blocks[i + 1][1]
        out.append(Snippet(lang, code, line, expected))
    return out


def run(cmd: list[str], cwd: Path, env: dict[str, str] | None = None) -> str:
    p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=600, env=env)
    if p.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {p.returncode}\n{p.stdout}\n{p.stderr}")
    return p.stdout


def run_python(s: Snippet, tmp: Path) -> str:
    f = tmp / "snippet.py"
    f.write_text(s.code)
    return run([sys.executable, str(f)], tmp)


def node_project(tmp: Path) -> None:
    nm = tmp / "node_modules"
    nm.mkdir(exist_ok=True)
    link = nm / "hcpcore"
    if not link.exists():
        link.symlink_to(ROOT / "bindings" / "node", target_is_directory=True)


def run_js(s: Snippet, tmp: Path) -> str:
    node_project(tmp)
    f = tmp / "snippet.mjs"
    f.write_text(s.code)
    return run(["node", str(f)], tmp)


def run_ts(s: Snippet, tmp: Path) -> str:
    node_project(tmp)
    (tmp / "snippet.ts").write_text(s.code)
    (tmp / "tsconfig.json").write_text(
        '{ "compilerOptions": { "strict": true, "target": "ES2022", "module": "esnext", '
        '"moduleResolution": "bundler", "lib": ["ES2022", "DOM"], "types": [], "outDir": "out" }, '
        '"files": ["snippet.ts"] }\n'
    )
    tsc = ROOT / "bindings" / "node" / "node_modules" / "typescript" / "bin" / "tsc"
    run(["node", str(tsc), "-p", "tsconfig.json"], tmp)
    (tmp / "out" / "package.json").write_text('{ "type": "module" }\n')
    return run(["node", str(tmp / "out" / "snippet.js")], tmp)


def run_go(s: Snippet, tmp: Path) -> str:
    (tmp / "go.mod").write_text(
        f"module readme/snippet\n\ngo 1.22\n\nrequire {GO_MODULE} v0.0.0\n\n"
        f"replace {GO_MODULE} => {ROOT / 'bindings' / 'go-ffi' / 'go'}\n"
    )
    (tmp / "main.go").write_text(s.code)
    env = dict(os.environ, GOFLAGS="-mod=mod")
    return run(["go", "run", "."], tmp, env)


RUNNERS = {"python": run_python, "js": run_js, "ts": run_ts, "go": run_go}


def main() -> int:
    readme = ROOT / "README.md"
    found = snippets(readme)
    want = set(sys.argv[1:]) or RUN
    failures = 0
    for s in found:
        if s.lang not in want:
            continue
        tmp = Path(tempfile.mkdtemp(prefix=f"readme-{s.lang}-"))
        try:
            out = RUNNERS[s.lang](s, tmp)
            if s.expected is not None:
                got = [ln.rstrip() for ln in out.strip().splitlines()]
                exp = [ln.rstrip() for ln in s.expected.strip().splitlines()]
                if got != exp:
                    raise RuntimeError("printed:\n" + "\n".join(got) + "\nREADME says:\n" + "\n".join(exp))
            print(f"ok   README.md:{s.line} {s.lang}" + (" (output as shown)" if s.expected else ""))
        except (RuntimeError, subprocess.TimeoutExpired) as e:
            failures += 1
            print(f"FAIL README.md:{s.line} {s.lang}: {e}")
        finally:
            shutil.rmtree(tmp, ignore_errors=True)
    ran = sum(1 for s in found if s.lang in want)
    print(f"README snippets: {ran - failures} of {ran} ran as documented")
    return 1 if failures or ran == 0 else 0


if __name__ == "__main__":
    sys.exit(main())
