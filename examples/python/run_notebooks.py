"""Executes every notebook in examples/python with nbclient (`make examples` runs it).

Each notebook must be committed without outputs (so that a diff shows code, not images); one with
stored outputs or execution counts fails with the command that strips them. Then it runs top to
bottom in a fresh kernel, in its own folder, each cell under a time limit; an exception in any
cell fails the run, naming the notebook and the cell. Nothing is written back.

Usage: python examples/python/run_notebooks.py [NOTEBOOK ...]
"""

from __future__ import annotations

import sys
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

HERE = Path(__file__).resolve().parent
CELL_TIMEOUT_SECONDS = 300


def stored_outputs(notebook: nbformat.NotebookNode) -> list[int]:
    """Indexes of code cells that hold outputs or an execution count."""
    return [
        i
        for i, cell in enumerate(notebook.cells)
        if cell.cell_type == "code" and (cell.get("outputs") or cell.get("execution_count") is not None)
    ]


def run(path: Path) -> None:
    notebook = nbformat.read(path, as_version=4)
    nbformat.validate(notebook)
    dirty = stored_outputs(notebook)
    if dirty:
        raise SystemExit(
            f"{path}: cells {dirty} hold outputs; commit notebooks without them "
            f"(jupyter nbconvert --clear-output --inplace {path.name})"
        )
    client = NotebookClient(
        notebook,
        timeout=CELL_TIMEOUT_SECONDS,
        kernel_name="python3",
        resources={"metadata": {"path": str(path.parent)}},
    )
    try:
        client.execute()
    except CellExecutionError as err:
        raise SystemExit(f"{path}: a cell failed:\n{err}") from None
    cells = sum(1 for c in notebook.cells if c.cell_type == "code")
    print(f"{path.relative_to(HERE.parents[1])}: {cells} code cells ran")


def main() -> None:
    paths = [Path(p).resolve() for p in sys.argv[1:]] or sorted(HERE.glob("*.ipynb"))
    if not paths:
        raise SystemExit(f"no notebooks in {HERE}")
    for path in paths:
        run(path)


if __name__ == "__main__":
    main()
