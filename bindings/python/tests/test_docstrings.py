"""The examples in the package's docstrings (what help() shows a user) run and print what they say."""

from __future__ import annotations

import doctest
import importlib

import pytest

MODULES = ["hcpcore", "hcpcore._record", "hcpcore.billing", "hcpcore.econ", "hcpcore.router", "hcpcore.sim"]


@pytest.mark.parametrize("name", MODULES)
def test_docstring_examples(name: str) -> None:
    if name == "hcpcore._record":
        pytest.importorskip("pandas")
    result = doctest.testmod(importlib.import_module(name), optionflags=doctest.ELLIPSIS)
    assert result.attempted > 0, f"{name} has no example"
    assert result.failed == 0, f"{result.failed} of {name}'s docstring examples failed (output above)"
