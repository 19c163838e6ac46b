"""`make python-package-test`: the built wheel and sdist checked as a user would get them.

1. out/dist holds one wheel and one sdist; the wheel is tagged abi3 + manylinux (never the
   un-installable-elsewhere ``linux_x86_64``) and the sdist carries what a build from it needs:
   the Python sources and stubs, the binding crate, the core crate it depends on by path, the
   workspace manifest and lock file, and the licence.
2. A fresh virtualenv in a temporary folder gets ``pip install <wheel>[pandas]``; there,
   ``python -I check_installed.py`` imports and uses the package with no repository path on
   sys.path and checks py.typed, stubs, metadata, licence and docstrings.
3. mypy --strict checks tests/typecheck_usage.py against the *installed* package (the
   ``--python-executable`` of that virtualenv), so the shipped stubs are what is checked.
4. Where ``qemu-x86_64`` is installed (Debian's qemu-user), the batch kernels run under an
   emulated x86-64-v2 CPU without AVX, AVX2 or FMA (numpy 2's own baseline; plain qemu64 stops
   in numpy) and must print what they print natively: the wheel needs no instruction a
   baseline data-centre CPU lacks. Without qemu that step says it was skipped.

With ``--build-sdist`` (``make sdist-check``) it also builds a wheel from the unpacked sdist in
the temporary folder with a fresh target directory, and checks that wheel the same way.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import venv
import zipfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
# x86-64-v2 (what numpy 2 needs) and nothing newer: no AVX, AVX2 or FMA.
BASELINE_CPU = "qemu64,+ssse3,+sse4.1,+sse4.2,+popcnt"
# The batch kernels that have an AVX2+FMA path, with enough rows to take it.
KERNEL_PROBE = """
import numpy as np, hcpcore as hcp
m = hcp.Market(btc_usd=95_000, difficulty=1.1e14, height=880_000, fee_share=0.015)
n = 10_007
r = hcp.econ.miner_curtail_batch(m, np.linspace(100, 250, n), np.full(n, 3500.0), np.full(n, 20.0),
                                 np.linspace(0, 0.2, n), pool_fee=0.02)
d = hcp.econ.miner_daily_batch(m, np.linspace(100, 250, n), np.full(n, 3500.0), np.full(n, 0.05))
print(int(r.mine.sum()), r.profit_usd_per_hour.sum().hex(), d.profit_usd_per_day.sum().hex())
"""

# Paths (below the sdist's top folder) that a build from the sdist needs.
SDIST_NEEDS = (
    "pyproject.toml",
    "PKG-INFO",
    "LICENSE",
    "Cargo.toml",
    "Cargo.lock",
    "bindings/python/Cargo.toml",
    "bindings/python/src/lib.rs",
    "core/Cargo.toml",
    "core/src/lib.rs",
    "python/hcpcore/__init__.py",
    "python/hcpcore/_hcp.pyi",
    "python/hcpcore/py.typed",
)


def fail(message: str) -> None:
    raise SystemExit(f"python-package-test: {message}")


def one(dist: Path, pattern: str) -> Path:
    found = sorted(dist.glob(pattern))
    if len(found) != 1:
        fail(f"expected one {pattern} in {dist}, found {[p.name for p in found]} (run `make wheel`)")
    return found[0]


def check_wheel_file(wheel: Path, distributable: bool = True) -> None:
    """The wheel's tags and contents. A wheel pip builds from the sdist on the user's machine is
    tagged ``linux_*`` (for that machine), so only a ``distributable`` one must be manylinux."""
    # name-version-python-abi-platform.whl
    python_tag, abi_tag, platform_tag = wheel.stem.split("-")[-3:]
    if abi_tag != "abi3" or python_tag != "cp39":
        fail(f"{wheel.name}: expected a cp39-abi3 wheel (one wheel for every CPython >= 3.9)")
    if distributable and not platform_tag.startswith("manylinux"):
        fail(f"{wheel.name}: platform tag {platform_tag} installs on this machine only; want manylinux_*")
    with zipfile.ZipFile(wheel) as archive:
        names = set(archive.namelist())
    for needed in ("hcpcore/py.typed", "hcpcore/_hcp.pyi", "hcpcore/_record.py"):
        if needed not in names:
            fail(f"{wheel.name} lacks {needed}")
    if not any(n.startswith("hcpcore/_hcp.") and n.endswith(".so") for n in names):
        fail(f"{wheel.name} lacks the native module hcpcore/_hcp*.so")
    if not any(n.endswith(".dist-info/licenses/LICENSE") for n in names):
        fail(f"{wheel.name} lacks .dist-info/licenses/LICENSE")
    print(f"wheel: {wheel.name}: tags, native module, py.typed, stubs, licence: ok")


def check_sdist_file(sdist: Path) -> None:
    with tarfile.open(sdist) as archive:
        names = {n.split("/", 1)[1] for n in archive.getnames() if "/" in n}
    missing = [n for n in SDIST_NEEDS if n not in names]
    if missing:
        fail(f"{sdist.name} lacks {missing}")
    print(f"sdist: {sdist.name}: {len(names)} files, the core crate and the lock file included: ok")


def run(command: list[str], cwd: Path, env: dict[str, str] | None = None) -> None:
    print("+", " ".join(command), flush=True)
    subprocess.run(command, cwd=cwd, env=env, check=True)


def clean_env() -> dict[str, str]:
    """The environment without anything that points Python at the repository or its venv."""
    drop = {"PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV", "PYTHONSTARTUP", "PYTHONUSERBASE"}
    return {k: v for k, v in os.environ.items() if k not in drop}


def check_in_fresh_venv(wheel: Path, repo: Path, work: Path) -> None:
    work.mkdir(parents=True, exist_ok=True)
    env_dir = work / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    python = env_dir / "bin" / "python"
    env = clean_env()
    run([str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", f"{wheel}[pandas]"], work, env)
    run([str(python), "-I", str(HERE / "check_installed.py"), str(repo)], work, env)
    # The stubs as installed: mypy looks hcpcore up in that venv's site-packages only.
    usage = repo / "bindings" / "python" / "tests" / "typecheck_usage.py"
    mypy = [sys.executable, "-m", "mypy", "--strict", "--no-incremental", "--python-executable", str(python)]
    run([*mypy, "--cache-dir", str(work / "mypy_cache"), str(usage)], work, env)
    check_baseline_cpu(python, work, env)


def check_baseline_cpu(python: Path, work: Path, env: dict[str, str]) -> None:
    qemu = shutil.which("qemu-x86_64")
    if qemu is None or os.uname().machine != "x86_64":
        print("baseline CPU: skipped (no qemu-x86_64; apt-get install qemu-user to run it)")
        return
    probe = [str(python), "-I", "-c", KERNEL_PROBE]
    native = subprocess.run(probe, cwd=work, env=env, check=True, capture_output=True, text=True).stdout
    emulated = subprocess.run([qemu, "-cpu", BASELINE_CPU, *probe], cwd=work, env=env, capture_output=True, text=True)
    if emulated.returncode != 0:
        fail(f"the wheel fails on an x86-64-v2 CPU without AVX2/FMA (exit {emulated.returncode}): {emulated.stderr}")
    if emulated.stdout != native:
        fail(f"the kernels differ without AVX2/FMA: {emulated.stdout!r} vs {native!r} natively")
    print(f"baseline CPU ({BASELINE_CPU}): same results as natively: {native.strip()}")


def build_from_sdist(sdist: Path, work: Path) -> Path:
    """pip unpacks the sdist in its own temporary folder and builds it with maturin from PyPI."""
    env = clean_env()
    env["CARGO_TARGET_DIR"] = str(work / "target")  # nothing reused from the repository's builds
    env.pop("CARGO_BUILD_TARGET", None)
    out = work / "from-sdist"
    run([sys.executable, "-m", "pip", "wheel", "-q", "--no-deps", "-w", str(out), str(sdist)], work, env)
    return one(out, "hcpcore-*.whl")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dist", type=Path, required=True, help="the folder `make wheel` wrote")
    parser.add_argument("--repo", type=Path, required=True, help="the repository root (kept off sys.path)")
    parser.add_argument("--build-sdist", action="store_true", help="also build and check a wheel from the sdist")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    args = parser.parse_args()
    repo = args.repo.resolve()
    wheel = one(args.dist, "hcpcore-*.whl").resolve()
    sdist = one(args.dist, "hcpcore-*.tar.gz").resolve()
    check_wheel_file(wheel)
    check_sdist_file(sdist)
    work = Path(tempfile.mkdtemp(prefix="hcpcore-package-"))
    if work.resolve().is_relative_to(repo):
        fail(f"the temporary folder {work} is inside the repository")
    try:
        check_in_fresh_venv(wheel, repo, work)
        if args.build_sdist:
            built = build_from_sdist(sdist, work)
            check_wheel_file(built, distributable=False)
            check_in_fresh_venv(built, repo, work / "sdist-venv")
    finally:
        if args.keep:
            print(f"kept {work}")
        else:
            shutil.rmtree(work, ignore_errors=True)
    print("python-package-test: the wheel installs and works outside the repository")


if __name__ == "__main__":
    main()
