"""Type-checked (mypy --strict) against the shipped stubs: a notebook user's first lines."""

from __future__ import annotations

import hcpcore as hcp

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
miner_metrics: str = fleet.miner_metrics("rack")
router = hcp.Router(manual_clock=True)
router.add_device("gpu-0", kind="gpu", model="H100_SXM", site="austin", gpu_memory_gb=80)
wid: int = router.submit(customer_id="acme", workload_type="ai_inference_realtime", priority=1)
assignment = router.dispatch()
if assignment is not None:
    device: str = assignment.device_id
router.complete(wid)
prom: str = router.metrics_text()
outcome = router.try_submit("acme", "ai_inference_batch", site="austin", deadline_seconds=30.0)
rejected_reason: str | None = outcome.reason
router.set_customer("acme", weight=3, max_gpus=8, max_queued=None)
held: int = router.customer("acme").gpus_held
mine = router.customer_workloads("acme")
clock: float = router.now_seconds()
batch_ids = router.submit_batch("acme", "ai_inference_batch", n=2, site=["austin", None], deadline_seconds=[9.0, None])
requeued: list[int] = router.remove_device("gpu-0")
# billing: exact amounts as Decimal, a ledger that remembers what it counted.
from decimal import Decimal  # noqa: E402

charge = hcp.billing.Charge.from_dict({"model": "standard", "amount": "0.10"})
cost: Decimal = charge.amount(12)
ledger = hcp.billing.Ledger.memory()
new: int = ledger.ingest(
    [{"event_id": "e1", "customer_id": "c", "meter_code": "m", "quantity": "1", "timestamp": "2026-11-01T00:00:00Z"}]
)
plan = hcp.billing.Plan.from_dict(
    {
        "currency": "USD",
        "meters": [{"code": "m", "aggregation": "sum"}],
        "charges": [{"meter_code": "m", "model": "standard", "amount": "1"}],
    }
)
invoice: hcp.billing.Invoice = ledger.preview_invoice(plan, hcp.billing.Subscription("c", "2026-11-01"), "2026-11-02")
events: hcp.Records[hcp.Record] = ledger.usage("c", ["m"])
first_event: hcp.Record = events[0]
issued: hcp.Records[hcp.billing.Invoice] = ledger.invoices("c")
# to_pandas: typed as Any (pandas is optional and untyped), keyword-only options.
usage_frame = events.to_pandas(flatten_properties=True)
lines_frame = invoice.to_pandas()
market_frame = hcp.sim.synthetic_market(1, 10, 60.0).to_pandas(start="2026-01-01")
series_frame = series.to_pandas()
ledger.close()


def serve_usage() -> float:
    server = hcp.sim.Server(hcp.sim.H100("sxm"), hcp.sim.ModelSpec(params=8e9, bytes_per_param=2), max_batch=256, seed=1)
    arrivals, prompts, outputs = hcp.sim.azure_trace("conv")
    result = server.run(arrival_seconds=arrivals[:10], prompt_tokens=prompts[:10], output_tokens=outputs[:10])
    tokens_per_second: float = result.output_tokens_per_second
    return tokens_per_second
