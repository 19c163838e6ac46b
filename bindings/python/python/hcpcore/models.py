"""The device model catalog: ``hcpcore.models.S21``, ``hcpcore.models.H100_SXM``, …

Figures are the vendors' published nameplates (see ``data/README.md`` in the repository).
``get(name)`` finds a model by name (case and ``-``/``_``/space insensitive); ``catalog(path)``
lists the built-in models, merged with a JSON file of overrides when given.
"""

from __future__ import annotations

from hcpcore._hcp import DeviceModel, catalog
from hcpcore._hcp import get_model as get

S21: DeviceModel = get("S21")
S21_PRO: DeviceModel = get("S21_PRO")
S21_XP: DeviceModel = get("S21_XP")
S21_HYDRO: DeviceModel = get("S21_HYDRO")
S19_XP: DeviceModel = get("S19_XP")
H100_SXM: DeviceModel = get("H100_SXM")
H100_PCIE: DeviceModel = get("H100_PCIE")

__all__ = ["DeviceModel", "catalog", "get", "S21", "S21_PRO", "S21_XP", "S21_HYDRO", "S19_XP", "H100_SXM", "H100_PCIE"]
