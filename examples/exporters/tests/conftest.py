"""pytest set-up for the exporters tests: pyasic's dependencies (pydantic models, asyncssh's DSA
support) warn about their own deprecations on import; those are not this project's to fix."""

import pytest


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("filterwarnings", "ignore::DeprecationWarning")
    config.addinivalue_line("filterwarnings", "ignore:DSA is deprecated:UserWarning")
