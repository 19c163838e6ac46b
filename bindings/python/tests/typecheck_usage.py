"""Type-checked (mypy --strict) against the shipped stubs: a notebook user's first lines."""

from __future__ import annotations

import hcp

m = hcp.Market(btc_usd=100_000, difficulty=1e14, height=840_000, fee_share=0.02, electricity_usd_per_kwh=0.05)
hashprice: float = hcp.econ.hashprice_usd_per_ph_day(m)
day: hcp.econ.MinerDaily = hcp.econ.miner_daily(hcp.models.S21, m, pool_fee=0.02)
profit: float = day.profit_usd
breakeven: float = hcp.econ.breakeven_usd_per_kwh(hcp.models.S21_XP, m)
subsidy: float = hcp.econ.block_subsidy_btc(840_000)
try:
    hcp.Market(btc_usd=-1, difficulty=1, height=0)
except hcp.InvalidInputError as err:
    message: str = str(err)

gpu = hcp.sim.H100("sxm")
step = gpu.decode(hcp.sim.ModelSpec(params=8e9, bytes_per_param=2), batch=32)
switch = gpu.switch(kv_bytes=8e9, weights_bytes=16e9, host_memory="pinned", warm_context=True)
fleet = hcp.sim.Fleet(dt_seconds=60, seed=1)
first_gpu: int = fleet.add_many("sxm", 2, "S21", 3)
fleet.command(first_gpu, "serve", model=hcp.sim.ModelSpec(params=8e9), batch=32)
fleet.run(10)
series = fleet.series()
metrics: str = fleet.dcgm_metrics("node")
router = hcp.Router(manual_clock=True)
router.add_device("gpu-0", kind="gpu", model="H100_SXM", site="austin", gpu_memory_gb=80)
wid: int = router.submit(customer_id="acme", workload_type="ai_inference_realtime", priority=1)
assignment = router.dispatch()
if assignment is not None:
    device: str = assignment.device_id
router.complete(wid)
prom: str = router.metrics_text()
