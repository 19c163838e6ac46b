package main

// handlers_econ.go owns the economics endpoints: current and past prices from the market clock,
// profitability of a device model at a market (hcp's action values, daily economics and
// break-evens), the site plan as recommendations, and the capacity plan over the coming days
// (hcp's replayed market, planned hour by hour by hcp's site plan). It converts hcp's results to
// JSON; every number comes from hcp.

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

func (s *Service) currentPrices(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p := s.market.current()
	m := p.econ()
	var hashprice float64
	if err := s.metrics.observe("hashprice", func() (err error) { hashprice, err = hcpcore.HashpriceUSDPerPHDay(m); return err }); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"market": p, "hashprice_usd_per_ph_day": hashprice, "site": s.cfg.SiteID})
	return nil
}

// intParam reads an integer query parameter in [lo, hi], def when absent.
func intParam(r *http.Request, name string, def, lo, hi int) (int, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return def, nil
	}
	n, err := strconv.Atoi(v)
	if err != nil || n < lo || n > hi {
		return 0, badRequest("%s: must be an integer in %d..=%d, got %q", name, lo, hi, v)
	}
	return n, nil
}

func (s *Service) priceHistory(w http.ResponseWriter, r *http.Request, c *Caller) error {
	limit, err := intParam(r, "limit", 96, 1, 10000)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"step_seconds": s.cfg.MarketStep.Seconds(), "prices": s.market.history(limit)})
	return nil
}

// actionValueView is an hcpcore.ActionValue in the API's JSON.
type actionValueView struct {
	Action               string  `json:"action"`
	FacilityWatts        float64 `json:"facility_watts"`
	BTCPerHour           float64 `json:"btc_per_hour"`
	RevenueUSDPerHour    float64 `json:"revenue_usd_per_hour"`
	EnergyCostUSDPerHour float64 `json:"energy_cost_usd_per_hour"`
	CreditUSDPerHour     float64 `json:"credit_usd_per_hour"`
	ProfitUSDPerHour     float64 `json:"profit_usd_per_hour"`
}

func actionView(a hcpcore.ActionValue) actionValueView {
	return actionValueView{a.Action.String(), a.FacilityWatts, a.BTCPerHour, a.RevenueUSDPerHour, a.EnergyCostUSDPerHour, a.CreditUSDPerHour, a.ProfitUSDPerHour}
}

// profitabilityRequest is POST /api/v1/profitability/calculate's body: a model, and optionally a
// market (each field overrides the current one) and terms (each overrides the site's).
type profitabilityRequest struct {
	Model  string `json:"model"`
	Market struct {
		BTCUSD               *float64 `json:"btc_usd"`
		Difficulty           *float64 `json:"difficulty"`
		Height               *int64   `json:"height"`
		FeesBTCPerBlock      *float64 `json:"fees_btc_per_block"`
		ElectricityUSDPerKWh *float64 `json:"electricity_usd_per_kwh"`
		GPUUSDPerHour        *float64 `json:"gpu_usd_per_hour"`
		USDPerMillionTokens  *float64 `json:"usd_per_million_tokens"`
	} `json:"market"`
	Terms struct {
		PoolFee                 *float64 `json:"pool_fee"`
		PUE                     *float64 `json:"pue"`
		GPUUtilisation          *float64 `json:"gpu_utilisation"`
		TokensPerSecond         *float64 `json:"tokens_per_second"`
		DemandResponseUSDPerMWh *float64 `json:"demand_response_usd_per_mwh"`
	} `json:"terms"`
	HardwareUSD *float64 `json:"hardware_usd"` // for payback days
}

func set[T any](dst *T, src *T) {
	if src != nil {
		*dst = *src
	}
}

func (s *Service) calculateProfitability(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req profitabilityRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	if req.Model == "" {
		return badRequest("model: required, e.g. S21 or H100_SXM")
	}
	model, err := hcpcore.GetModel(req.Model)
	if err != nil {
		return err
	}
	point := s.market.current()
	m := point.econ()
	set(&m.BTCUSD, req.Market.BTCUSD)
	set(&m.Difficulty, req.Market.Difficulty)
	set(&m.Height, req.Market.Height)
	if req.Market.FeesBTCPerBlock != nil {
		m.FeesBTCPerBlock = req.Market.FeesBTCPerBlock
	}
	set(&m.ElectricityUSDPerKWh, req.Market.ElectricityUSDPerKWh)
	set(&m.GPUUSDPerHour, req.Market.GPUUSDPerHour)
	set(&m.USDPerMillionTokens, req.Market.USDPerMillionTokens)
	t := s.terms
	set(&t.PoolFee, req.Terms.PoolFee)
	set(&t.PUE, req.Terms.PUE)
	set(&t.GPUUtilisation, req.Terms.GPUUtilisation)
	set(&t.DemandResponseUSDPerMWh, req.Terms.DemandResponseUSDPerMWh)
	if req.Terms.TokensPerSecond != nil {
		t.TokensPerSecond = req.Terms.TokensPerSecond
	}
	if err := m.Validate(); err != nil {
		return err
	}

	out := map[string]any{
		"model": req.Model, "kind": model.Kind.String(),
		"market": map[string]any{"btc_usd": m.BTCUSD, "difficulty": m.Difficulty, "height": m.Height, "fees_btc_per_block": m.FeesBTCPerBlock,
			"electricity_usd_per_kwh": m.ElectricityUSDPerKWh, "gpu_usd_per_hour": m.GPUUSDPerHour, "usd_per_million_tokens": m.USDPerMillionTokens},
		"terms": map[string]any{"pool_fee": t.PoolFee, "pue": t.PUE, "gpu_utilisation": t.GPUUtilisation, "tokens_per_second": t.TokensPerSecond,
			"demand_response_usd_per_mwh": t.DemandResponseUSDPerMWh},
	}
	var values []hcpcore.ActionValue
	if err := s.metrics.observe("action_values", func() (err error) { values, err = hcpcore.ActionValues(model, m, t); return err }); err != nil {
		return err
	}
	views := make([]actionValueView, len(values))
	for i, v := range values {
		views[i] = actionView(v)
	}
	out["actions"] = views
	best, err := hcpcore.BestAction(model, m, t)
	if err != nil {
		return err
	}
	out["best_action"] = actionView(best)
	if out["breakeven_usd_per_kwh"], err = hcpcore.BreakevenUSDPerKWh(model, m, t); err != nil {
		return err
	}
	var dailyProfit float64
	if model.Kind == hcpcore.ASIC {
		var d hcpcore.MinerDaily
		if err := s.metrics.observe("miner_daily", func() (err error) { d, err = hcpcore.MinerDailyFor(model, m, t); return err }); err != nil {
			return err
		}
		out["daily"] = map[string]any{"btc": d.BTC, "revenue_usd": d.RevenueUSD, "energy_kwh": d.EnergyKWh, "energy_cost_usd": d.EnergyCostUSD, "profit_usd": d.ProfitUSD}
		dailyProfit = d.ProfitUSD
		if out["breakeven_btc_usd"], err = hcpcore.BreakevenBTCUSD(model, m, t); err != nil {
			return err
		}
		if out["hashcost_usd_per_th_day"], err = hcpcore.HashcostUSDPerTHDay(model, m, t); err != nil {
			return err
		}
		if out["hashprice_usd_per_ph_day"], err = hcpcore.HashpriceUSDPerPHDay(m); err != nil {
			return err
		}
	} else {
		var g hcpcore.GPUEconomics
		if err := s.metrics.observe("gpu_daily", func() (err error) { g, err = hcpcore.GPUDaily(model, m, t); return err }); err != nil {
			return err
		}
		out["daily"] = map[string]any{"revenue_usd": g.RevenueUSD, "energy_kwh": g.EnergyKWh, "energy_cost_usd": g.EnergyCostUSD, "profit_usd": g.ProfitUSD}
		dailyProfit = g.ProfitUSD
	}
	if req.HardwareUSD != nil {
		days, ok, err := hcpcore.PaybackDays(*req.HardwareUSD, dailyProfit)
		if err != nil {
			return err
		}
		if ok {
			out["payback_days"] = days
		} else {
			out["payback_days"] = nil
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

// groupView is one device group of an hcp site plan.
type groupView struct {
	Model                 string          `json:"model"`
	Kind                  string          `json:"kind"`
	Count                 uint32          `json:"count"`
	Running               uint32          `json:"running"`
	Curtailed             uint32          `json:"curtailed"`
	RunningValue          actionValueView `json:"running_value"`
	CurtailedValue        actionValueView `json:"curtailed_value"`
	USDPerFacilityKWh     float64         `json:"usd_per_facility_kwh"`
	RecommendedAction     string          `json:"recommended_action"`
	RecommendedForDevices uint32          `json:"recommended_for_devices"`
}

// planView is an hcp site plan.
type planView struct {
	CapKW                   float64     `json:"cap_kw"`
	FacilityKW              float64     `json:"facility_kw"`
	MiningKW                float64     `json:"mining_kw"`
	GPUKW                   float64     `json:"gpu_kw"`
	CurtailedKW             float64     `json:"curtailed_kw"`
	DevicesRunning          uint64      `json:"devices_running"`
	DevicesCurtailed        uint64      `json:"devices_curtailed"`
	BTCPerHour              float64     `json:"btc_per_hour"`
	MiningRevenueUSDPerHour float64     `json:"mining_revenue_usd_per_hour"`
	GPURevenueUSDPerHour    float64     `json:"gpu_revenue_usd_per_hour"`
	EnergyCostUSDPerHour    float64     `json:"energy_cost_usd_per_hour"`
	CreditUSDPerHour        float64     `json:"credit_usd_per_hour"`
	ProfitUSDPerHour        float64     `json:"profit_usd_per_hour"`
	Groups                  []groupView `json:"groups"`
}

func planFrom(p hcpcore.SitePlan) planView {
	v := planView{p.CapKW, p.FacilityKW, p.MiningKW, p.GPUKW, p.CurtailedKW, p.DevicesRunning, p.DevicesCurtailed, p.BTCPerHour,
		p.MiningRevenueUSDPerHour, p.GPURevenueUSDPerHour, p.EnergyCostUSDPerHour, p.CreditUSDPerHour, p.ProfitUSDPerHour, nil}
	for _, g := range p.Groups {
		v.Groups = append(v.Groups, groupView{
			Model: g.Model, Kind: g.Kind.String(), Count: g.Count, Running: g.Running, Curtailed: g.Curtailed,
			RunningValue: actionView(g.RunningValue), CurtailedValue: actionView(g.CurtailedValue), USDPerFacilityKWh: g.USDPerKWh,
		})
	}
	return v
}

// recommendations is the economics' plan of the site at the current market, and what it means
// for each group: run the devices the plan runs, curtail (sleep or idle, whichever the plan
// valued) the rest.
func (s *Service) recommendations(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p := s.market.current()
	var sp hcpcore.SitePlan
	if err := s.metrics.observe("site_plan", func() (err error) { sp, err = s.econ.Plan(p.econ()); return err }); err != nil {
		return err
	}
	view := planFrom(sp)
	var recs []map[string]any
	for i := range view.Groups {
		g := &view.Groups[i]
		if g.Running > 0 {
			recs = append(recs, map[string]any{"model": g.Model, "action": g.RunningValue.Action, "devices": g.Running,
				"profit_usd_per_hour_each": g.RunningValue.ProfitUSDPerHour,
				"reason":                   fmt.Sprintf("running earns %.4f USD per facility kWh at this market", g.USDPerFacilityKWh)})
		}
		if g.Curtailed > 0 {
			reason := "the site cap leaves no power for them"
			if g.USDPerFacilityKWh <= 0 {
				reason = fmt.Sprintf("running loses %.4f USD per facility kWh at this market", -g.USDPerFacilityKWh)
			}
			recs = append(recs, map[string]any{"model": g.Model, "action": g.CurtailedValue.Action, "devices": g.Curtailed,
				"profit_usd_per_hour_each": g.CurtailedValue.ProfitUSDPerHour, "reason": reason})
		}
		g.RecommendedAction, g.RecommendedForDevices = g.RunningValue.Action, g.Running
		if g.Running == 0 {
			g.RecommendedAction, g.RecommendedForDevices = g.CurtailedValue.Action, g.Curtailed
		}
	}
	if recs == nil {
		recs = []map[string]any{}
	}
	writeJSON(w, http.StatusOK, map[string]any{"market": p, "plan": view, "recommendations": recs})
	return nil
}

// capacity is the 7-day plan (days=1..14): the replayed market hour by hour from now, and at each
// hour hcp's site plan — facility power by use, devices the economics run and curtail, and the
// expected profit per hour.
func (s *Service) capacity(w http.ResponseWriter, r *http.Request, c *Caller) error {
	days, err := intParam(r, "days", 7, 1, 14)
	if err != nil {
		return err
	}
	start := s.market.currentTime()
	cols, err := hcpcore.ReplaySeries(r.Context(), s.cfg.DataDir, start.Format("2006-01-02 15:04:05"), uint64(days*24), 3600) // stops if the client goes away
	if err != nil {
		return err
	}
	n := len(cols["time_seconds"])
	hours := make([]map[string]any, 0, n)
	for i := 0; i < n; i++ {
		p := pointFromColumns(cols, i, start, s.site.AddersUSDPerKWh)
		var sp hcpcore.SitePlan
		if err := s.metrics.observe("capacity_plan", func() (err error) { sp, err = s.econ.Plan(p.econ()); return err }); err != nil {
			return err
		}
		var gpus, miners uint32
		for _, g := range sp.Groups {
			if g.Kind == hcpcore.GPU {
				gpus += g.Running
			} else {
				miners += g.Running
			}
		}
		hours = append(hours, map[string]any{
			"time": p.Time, "btc_usd": p.BTCUSD, "electricity_usd_per_kwh": p.ElectricityUSDPerKWh, "gpu_usd_per_hour": p.GPUUSDPerHour,
			"facility_kw": sp.FacilityKW, "gpu_kw": sp.GPUKW, "mining_kw": sp.MiningKW, "curtailed_kw": sp.CurtailedKW,
			"gpus_running": gpus, "miners_running": miners, "devices_curtailed": sp.DevicesCurtailed,
			"profit_usd_per_hour": sp.ProfitUSDPerHour,
		})
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"site": s.cfg.SiteID, "cap_kw": s.econ.CapKW(), "start": start.Format(time.RFC3339), "step_seconds": 3600, "days": days,
		"source": "hcp market replay of " + s.cfg.DataDir + ", planned hourly by hcp's site plan (econ::Site::plan)",
		"hours":  hours,
	})
	return nil
}
