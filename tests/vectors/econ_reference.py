#!/usr/bin/env python3
# Regenerates tests/vectors/econ.json: python3 tests/vectors/econ_reference.py > tests/vectors/econ.json
# Independent reference for tests/vectors/econ.json: the formulas of data/README.md written
# again in plain Python (not derived from the Rust code), so the vectors check the Rust maths.
import json, math

TWO32 = 4294967296.0
CAT = {
 "S21": dict(kind="asic", power=3500.0, idle=175.0, sleep=25.0, ths=200.0),
 "S21_PRO": dict(kind="asic", power=3510.0, idle=176.0, sleep=25.0, ths=234.0),
 "S21_XP": dict(kind="asic", power=3645.0, idle=182.0, sleep=25.0, ths=270.0),
 "S19_XP": dict(kind="asic", power=3010.0, idle=150.0, sleep=25.0, ths=140.0),
 "H100_SXM": dict(kind="gpu", power=700.0, idle=125.0, sleep=70.0, ths=0.0),
 "H100_PCIE": dict(kind="gpu", power=350.0, idle=60.0, sleep=40.0, ths=0.0),
}
def subsidy_sats(h):
    n = h // 210000
    return 0 if n >= 64 else (50 * 100_000_000) >> n
def reward(m):
    s = subsidy_sats(m["height"]) / 1e8
    if "fee_share" in m: return s / (1 - m["fee_share"])
    return s + m.get("fees_btc_per_block", 0.0)
def hp_btc_ph(m): return 1e15 * 86400 / (m["difficulty"] * TWO32) * reward(m)
def hp_usd_ph(m): return hp_btc_ph(m) * m["btc_usd"]
def btc_day(ths, m): return ths * 1e12 * 86400 / (m["difficulty"] * TWO32) * reward(m)
def miner_daily(name, m, fee=0.0, pue=1.0):
    d = CAT[name]
    btc = btc_day(d["ths"], m) * (1 - fee)
    rev = btc * m["btc_usd"]
    kwh = d["power"] * 24 / 1000 * pue
    cost = kwh * m.get("electricity_usd_per_kwh", 0.0)
    return dict(btc=btc, revenue_usd=rev, energy_kwh=kwh, energy_cost_usd=cost, profit_usd=rev - cost)
def serving_w(d, u): return d["idle"] + u * (d["power"] - d["idle"])
def gpu_rev_h(m, u, tps=None):
    if tps is None: return m.get("gpu_usd_per_hour", 0.0) * u
    return tps * 3600 / 1e6 * m.get("usd_per_million_tokens", 0.0) * u
def breakeven(name, m, fee=0.0, pue=1.0, u=1.0, tps=None):
    d = CAT[name]
    if d["kind"] == "asic":
        return hp_usd_ph(m) / 1000 * (1 - fee) / (d["power"] / d["ths"] * 24 / 1000 * pue)
    return gpu_rev_h(m, u, tps) / (serving_w(d, u) / 1000 * pue)
def gpu_hourly(name, m, u=1.0, pue=1.0, tps=None):
    d = CAT[name]
    rev = gpu_rev_h(m, u, tps); kwh = serving_w(d, u) / 1000 * pue
    cost = kwh * m.get("electricity_usd_per_kwh", 0.0)
    return dict(hours=1.0, revenue_usd=rev, energy_kwh=kwh, energy_cost_usd=cost, profit_usd=rev - cost)

W = dict(btc_usd=100000.0, difficulty=1e14, height=840000, fees_btc_per_block=0.0, electricity_usd_per_kwh=0.05)
cases = []
def case(name, op, args, value=None, error=None, field=None, rel=1e-9, abs_=0.0):
    c = dict(name=name, op=op, args=args)
    if error: c["expect"] = dict(error=error, field=field)
    else:
        c["expect"] = dict(value=value); c["rel_tol"] = rel; c["abs_tol"] = abs_
    cases.append(c)

for h in [0, 209_999, 210_000, 419_999, 420_000, 839_999, 840_000, 1_049_999, 1_050_000, 6_929_999, 6_930_000, 13_440_000]:
    case(f"subsidy at height {h}", "block_subsidy_btc", dict(height=h), subsidy_sats(h) / 1e8, rel=0.0)
    case(f"subsidy sats at height {h}", "block_subsidy_sats", dict(height=h), subsidy_sats(h), rel=0.0)
case("negative height", "block_subsidy_btc", dict(height=-1), error="InvalidInput", field="height")

case("worked hashprice example (data/README.md): $62.86/PH/day", "hashprice_usd_per_ph_day", dict(market=W), 62.86, rel=0.0, abs_=0.005)
case("worked hashprice example, full precision", "hashprice_usd_per_ph_day", dict(market=W), hp_usd_ph(W))
case("hashprice per TH/day", "hashprice_usd_per_th_day", dict(market=W), hp_usd_ph(W) / 1000)
case("hashprice in BTC per PH/day", "hashprice_btc_per_ph_day", dict(market=W), hp_btc_ph(W))
case("hashprice in BTC per TH/day", "hashprice_btc_per_th_day", dict(market=W), hp_btc_ph(W) / 1000)
mb = dict(W, fees_btc_per_block=0.5)
ms = {k: v for k, v in W.items() if k != "fees_btc_per_block"}; ms["fee_share"] = 0.5 / 3.625
case("fees as 0.5 BTC per block", "hashprice_usd_per_ph_day", dict(market=mb), hp_usd_ph(mb))
case("the same fees as fee share 0.5/3.625 gives the same hashprice", "hashprice_usd_per_ph_day", dict(market=ms), hp_usd_ph(mb))
ms2 = dict(ms, fee_share=0.02)
case("fee share 2 %: total reward = subsidy / 0.98", "hashprice_usd_per_ph_day", dict(market=ms2), hp_usd_ph(ms2))
case("network hashrate from difficulty 1e14", "network_hashrate_hs", dict(difficulty=1e14), 1e14 * TWO32 / 600)
case("expected BTC/day of 200 TH/s", "expected_btc_per_day", dict(hashrate_ths=200.0, market=W), btc_day(200.0, W))
case("S21 day, no pool fee", "miner_daily", dict(model="S21", market=W), miner_daily("S21", W))
mp = dict(W, fees_btc_per_block=0.08, btc_usd=85000.0, difficulty=1.1e14, height=880000, electricity_usd_per_kwh=0.045)
case("S21 XP day, pool fee 2 %, PUE 1.1", "miner_daily", dict(model="S21_XP", market=mp, pool_fee=0.02, pue=1.1), miner_daily("S21_XP", mp, 0.02, 1.1))
case("S19 XP day (model name matched loosely)", "miner_daily", dict(model="s19 xp", market=mp, pool_fee=0.01), miner_daily("S19_XP", mp, 0.01))
case("break-even S21, worked market", "breakeven_usd_per_kwh", dict(model="S21", market=W), breakeven("S21", W))
case("break-even S21 XP, pool fee 2 %, PUE 1.1", "breakeven_usd_per_kwh", dict(model="S21_XP", market=mp, pool_fee=0.02, pue=1.1), breakeven("S21_XP", mp, 0.02, 1.1))
mg = dict(W, gpu_usd_per_hour=2.5, usd_per_million_tokens=0.6)
case("break-even H100 SXM rented 70 %, PUE 1.2", "breakeven_usd_per_kwh", dict(model="H100_SXM", market=mg, pue=1.2, gpu_utilisation=0.7), breakeven("H100_SXM", mg, pue=1.2, u=0.7))
case("break-even H100 PCIe selling tokens", "breakeven_usd_per_kwh", dict(model="H100_PCIE", market=mg, gpu_utilisation=0.9, tokens_per_second=3000.0), breakeven("H100_PCIE", mg, u=0.9, tps=3000.0))
case("H100 SXM hour rented 70 %, PUE 1.2", "gpu_hourly", dict(model="H100_SXM", market=mg, pue=1.2, gpu_utilisation=0.7), gpu_hourly("H100_SXM", mg, 0.7, 1.2))
case("H100 SXM hour selling tokens", "gpu_hourly", dict(model="H100_SXM", market=mg, gpu_utilisation=0.5, tokens_per_second=2500.0), gpu_hourly("H100_SXM", mg, 0.5, 1.0, 2500.0))

# Site allocation: 4 MW, 1,000 S21 + 512 H100 SXM, PUE 1.1, GPUs rented 80 %.
msite = dict(btc_usd=100000.0, difficulty=1e14, height=840000, fees_btc_per_block=0.1, electricity_usd_per_kwh=0.04, gpu_usd_per_hour=2.5)
pue, u, cap = 1.1, 0.8, 4000.0
s21, h100 = CAT["S21"], CAT["H100_SXM"]
head = cap - pue * (1000 * s21["sleep"] + 512 * h100["sleep"]) / 1000
gpu_delta = pue * (serving_w(h100, u) - h100["sleep"]) / 1000
head -= 512 * gpu_delta
miners = int(math.floor((head + 1e-9) / (pue * (s21["power"] - s21["sleep"]) / 1000)))
mrev = miners * btc_day(200.0, msite) * 0.98 / 24 * msite["btc_usd"]
grev = 512 * gpu_rev_h(msite, u)
fkw = pue * (miners * s21["power"] + (1000 - miners) * s21["sleep"] + 512 * serving_w(h100, u)) / 1000
cost = fkw * 0.04
site_args = dict(devices=[dict(model="S21", count=1000), dict(model="H100_SXM", count=512)], cap_kw=cap, pue=pue, pool_fee=0.02, gpu_utilisation=u, market=msite)
case("reference 4 MW site: GPUs first, miners fill the cap", "site_plan", site_args,
     dict(running=[miners, 512], curtailed=[1000 - miners, 0], facility_kw=fkw, mining_revenue_usd_per_hour=mrev,
          gpu_revenue_usd_per_hour=grev, energy_cost_usd_per_hour=cost, profit_usd_per_hour=mrev + grev - cost))
mdear = dict(msite, electricity_usd_per_kwh=0.5)
fkw2 = pue * (1000 * s21["sleep"] + 512 * serving_w(h100, u)) / 1000
case("at $500/MWh miners lose money and sleep though the cap has room", "site_plan", dict(site_args, market=mdear, cap_kw=10000.0),
     dict(running=[0, 512], curtailed=[1000, 0], facility_kw=fkw2, curtailed_kw=1000 * pue * (s21["power"] - s21["sleep"]) / 1000,
          mining_revenue_usd_per_hour=0.0, energy_cost_usd_per_hour=fkw2 * 0.5))
case("site cap below the sleeping load", "site_plan", dict(site_args, cap_kw=10.0), error="InvalidInput", field="cap_kw")

# Decider: electricity wobbling ±2 % around the S21 break-even every 15 min for 24 h.
mwob = dict(btc_usd=100000.0, difficulty=1e14, height=840000, fees_btc_per_block=0.1, electricity_usd_per_kwh=0.05)
be = breakeven("S21", mwob)
series = [round(be * (0.98 if i % 2 == 0 else 1.02), 12) for i in range(96)]
def decide(policy):
    # Reference of the rule in econ/decision.rs: best action, dwell, gain over horizon vs switch cost.
    d = CAT["S21"]; cur = "mine"; dwell = float("inf"); sw = 0; acts = []
    for p in series:
        mm = dict(mwob, electricity_usd_per_kwh=p)
        rev = btc_day(200.0, mm) / 24 * mm["btc_usd"]
        vals = {"mine": rev - d["power"] / 1000 * p, "sleep": -d["sleep"] / 1000 * p, "idle": -d["idle"] / 1000 * p}
        best = max(["mine", "sleep", "idle"], key=lambda a: vals[a])  # first wins ties
        gain = vals[best] - vals[cur]
        cost = policy["wear_usd_per_switch"] + policy["switch_seconds"] / 3600 * (rev if best == "mine" else 0.0)
        horizon = max(policy["min_dwell_seconds"], 900.0) / 3600
        if best != cur and dwell >= policy["min_dwell_seconds"] and gain * horizon > cost:
            cur = best; dwell = 900.0; sw += 1
        else:
            dwell += 900.0
        acts.append(cur)
    return dict(switches=sw, actions=acts)
for label, pol in [("free switching thrashes", dict(switch_seconds=0.0, wear_usd_per_switch=0.0, min_dwell_seconds=0.0)),
                   ("a 1 h minimum dwell limits switches", dict(switch_seconds=0.0, wear_usd_per_switch=0.0, min_dwell_seconds=3600.0)),
                   ("a $0.05 wear cost stops them", dict(switch_seconds=10.0, wear_usd_per_switch=0.05, min_dwell_seconds=0.0))]:
    case("wobbling price: " + label, "decide_series",
         dict(model="S21", initial="mine", dt_seconds=900.0, policy=pol, market=mwob, electricity_usd_per_kwh=series),
         decide(pol), rel=0.0)

# Bad inputs: each InvalidInput naming the field.
def bad_market(label, field, **over):
    m = dict(W); 
    for k, v in over.items():
        if v is None: m.pop(k, None)
        else: m[k] = v
    case(label, "hashprice_usd_per_ph_day", dict(market=m), error="InvalidInput", field=field)
bad_market("btc_usd NaN", "btc_usd", btc_usd="NaN")
bad_market("btc_usd +inf", "btc_usd", btc_usd="Infinity")
bad_market("btc_usd -inf", "btc_usd", btc_usd="-Infinity")
bad_market("negative btc_usd", "btc_usd", btc_usd=-1.0)
bad_market("zero difficulty", "difficulty", difficulty=0.0)
bad_market("negative difficulty", "difficulty", difficulty=-5.0)
bad_market("difficulty NaN", "difficulty", difficulty="NaN")
bad_market("negative height", "height", height=-1)
bad_market("negative electricity price", "electricity_usd_per_kwh", electricity_usd_per_kwh=-0.01)
bad_market("electricity +inf", "electricity_usd_per_kwh", electricity_usd_per_kwh="Infinity")
bad_market("negative GPU rental", "gpu_usd_per_hour", gpu_usd_per_hour=-2.0)
bad_market("negative token price", "usd_per_million_tokens", usd_per_million_tokens=-0.1)
bad_market("negative fees per block", "fees_btc_per_block", fees_btc_per_block=-0.1)
bad_market("fee share 1.0", "fee_share", fees_btc_per_block=None, fee_share=1.0)
bad_market("fee share -0.1", "fee_share", fees_btc_per_block=None, fee_share=-0.1)
bad_market("fee share NaN", "fee_share", fees_btc_per_block=None, fee_share="NaN")
bad_market("both fee forms", "fees_btc_per_block", fee_share=0.1)
case("market constructor rejects NaN price", "market", dict(market=dict(W, btc_usd="NaN")), error="InvalidInput", field="btc_usd")
case("market constructor accepts a valid snapshot", "market", dict(market=ms2), dict(btc_usd=100000.0, difficulty=1e14, height=840000, fee_share=0.02, electricity_usd_per_kwh=0.05), rel=0.0)
case("unknown model name", "miner_daily", dict(model="S9", market=W), error="InvalidInput", field="model")
case("unknown model name in break-even", "breakeven_usd_per_kwh", dict(model="Antminer Z15", market=W), error="InvalidInput", field="model")
case("efficiency 0 J/TH", "miner_daily", dict(model=dict(name="X", hashrate_ths=200.0, joules_per_th=0.0), market=W), error="InvalidInput", field="joules_per_th")
case("efficiency -17.5 J/TH", "breakeven_usd_per_kwh", dict(model=dict(name="X", hashrate_ths=200.0, joules_per_th=-17.5), market=W), error="InvalidInput", field="joules_per_th")
case("custom ASIC by hashrate and efficiency", "miner_daily", dict(model=dict(name="X", hashrate_ths=200.0, joules_per_th=17.5), market=W), miner_daily("S21", W))
case("a GPU cannot mine", "miner_daily", dict(model="H100_SXM", market=W), error="InvalidInput", field="model")
case("pool fee 1.0", "miner_daily", dict(model="S21", market=W, pool_fee=1.0), error="InvalidInput", field="pool_fee")
case("pool fee NaN", "breakeven_usd_per_kwh", dict(model="S21", market=W, pool_fee="NaN"), error="InvalidInput", field="pool_fee")
case("PUE below 1", "miner_daily", dict(model="S21", market=W, pue=0.9), error="InvalidInput", field="pue")
case("GPU utilisation above 1", "gpu_hourly", dict(model="H100_SXM", market=mg, gpu_utilisation=1.5), error="InvalidInput", field="gpu_utilisation")
case("negative hashrate", "expected_btc_per_day", dict(hashrate_ths=-1.0, market=W), error="InvalidInput", field="hashrate_ths")
case("zero difficulty to network hashrate", "network_hashrate_hs", dict(difficulty=0.0), error="InvalidInput", field="difficulty")
case("site cap NaN", "site_plan", dict(site_args, cap_kw="NaN"), error="InvalidInput", field="cap_kw")
case("site with an unknown model", "site_plan", dict(site_args, devices=[dict(model="S9", count=10)]), error="InvalidInput", field="model")
case("decider with a dwell of -1 s", "decide_series", dict(model="S21", initial="mine", dt_seconds=900.0, policy=dict(switch_seconds=0.0, wear_usd_per_switch=0.0, min_dwell_seconds=-1.0), market=mwob, electricity_usd_per_kwh=[0.05]), error="InvalidInput", field="min_dwell_seconds")

doc = {
  "module": "econ",
  "version": 1,
  "about": "Shared cases for hcpcore::econ. Expected values were computed by an independent Python reference of the formulas in data/README.md, not by the Rust code.",
  "conventions": {
    "op": "the Python API name of the function (hcp.econ.<op>); market -> hcp.Market(**market); site_plan -> a Site from devices/cap_kw/terms, then plan(market); decide_series -> a Decider stepped once per electricity price (dt_seconds each), reporting switches and the action after each step",
    "numbers": "any numeric argument may be the string \"NaN\", \"Infinity\" or \"-Infinity\" (JSON has no such numbers)",
    "market": "the keyword arguments of hcp.Market (MarketFields): btc_usd, difficulty, height, fees_btc_per_block | fee_share, electricity_usd_per_kwh, gpu_usd_per_hour, usd_per_million_tokens",
    "model": "a catalog name (matched case-insensitively, '-', ' ' and '_' alike), or {name, hashrate_ths, joules_per_th} for a custom ASIC (DeviceModel::asic)",
    "terms": "optional keyword arguments pool_fee, pue, gpu_utilisation, tokens_per_second, demand_response_usd_per_mwh (defaults 0, 1, 1, none, 0)",
    "expect": "{value} compared with |got - want| <= max(abs_tol, rel_tol * |want|) for numbers, exactly for integers, strings and booleans; objects compare the keys given (a subset of the result's fields), arrays element-wise; or {error, field}: the error kind name and the field the message must name (the Rust message starts with '<field>:')"
  },
  "cases": cases,
}
cases_out = doc.pop("cases")
head = json.dumps(doc, indent=1)[:-2]
print(head + ',\n "cases": [\n' + ",\n".join("  " + json.dumps(c) for c in cases_out) + "\n ]\n}")
