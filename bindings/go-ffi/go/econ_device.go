package hcpcore

/*
#include "hcp.h"
*/
import "C"

import "fmt"

// Action is what a device does for the next interval.
type Action int32

// The actions. An ASIC can mine, a GPU serve; both can sleep (curtailed) or idle.
const (
	ActionMine  Action = C.HCP_ACTION_MINE
	ActionServe Action = C.HCP_ACTION_SERVE
	ActionSleep Action = C.HCP_ACTION_SLEEP
	ActionIdle  Action = C.HCP_ACTION_IDLE
)

// String is "mine", "serve", "sleep" or "idle", the names every hcp binding uses.
func (a Action) String() string {
	switch a {
	case ActionMine:
		return "mine"
	case ActionServe:
		return "serve"
	case ActionSleep:
		return "sleep"
	case ActionIdle:
		return "idle"
	}
	return fmt.Sprintf("Action(%d)", int32(a))
}

// ParseAction reads an action name ("mine", "serve", "sleep", "idle"); any other name gives
// ErrInvalidInput naming "action".
func ParseAction(name string) (Action, error) {
	cname, err := cString("action", name)
	if err != nil {
		return 0, err
	}
	defer freeCString(cname)
	var e *C.hcp_error_t
	v := C.hcp_action_parse(cname, &e)
	return Action(v), takeError(e)
}

// ActionValue is one device's expected economics per hour in one action, at the facility meter.
type ActionValue struct {
	Action               Action
	FacilityWatts        float64 // device power × PUE, W
	BTCPerHour           float64 // BTC mined per hour after the pool fee (0 unless mining)
	RevenueUSDPerHour    float64 // from mining or serving
	EnergyCostUSDPerHour float64
	CreditUSDPerHour     float64 // demand-response credit (sleep only)
	ProfitUSDPerHour     float64 // revenue + credit − energy cost
}

func goActionValue(v *C.hcp_action_value_t) ActionValue {
	return ActionValue{
		Action:               Action(v.action),
		FacilityWatts:        float64(v.facility_watts),
		BTCPerHour:           float64(v.btc_per_hour),
		RevenueUSDPerHour:    float64(v.revenue_usd_per_hour),
		EnergyCostUSDPerHour: float64(v.energy_cost_usd_per_hour),
		CreditUSDPerHour:     float64(v.credit_usd_per_hour),
		ProfitUSDPerHour:     float64(v.profit_usd_per_hour),
	}
}

// GPUEconomics is a serving GPU's expected economics over a period (an hour or a day).
type GPUEconomics struct {
	Hours         float64 // length of the period
	RevenueUSD    float64 // rental (GPUUSDPerHour × utilisation) or tokens
	EnergyKWh     float64 // facility energy (device energy × PUE)
	EnergyCostUSD float64
	ProfitUSD     float64 // revenue − energy cost
}

func gpuEconomics(model *DeviceModel, m *Market, t *Terms, daily bool) (GPUEconomics, error) {
	var out C.hcp_gpu_economics_t
	err := modelCall(model, m, t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		if daily {
			C.hcp_gpu_daily(cd, cm, ct, &out, e)
		} else {
			C.hcp_gpu_hourly(cd, cm, ct, &out, e)
		}
	})
	if err != nil {
		return GPUEconomics{}, err
	}
	return GPUEconomics{
		Hours:         float64(out.hours),
		RevenueUSD:    float64(out.revenue_usd),
		EnergyKWh:     float64(out.energy_kwh),
		EnergyCostUSD: float64(out.energy_cost_usd),
		ProfitUSD:     float64(out.profit_usd),
	}, nil
}

// GPUHourly is a serving GPU's expected economics over one hour; an ASIC model gives
// ErrInvalidInput naming "model".
func GPUHourly(model DeviceModel, m Market, t Terms) (GPUEconomics, error) {
	return gpuEconomics(&model, &m, &t, false)
}

// GPUDaily is a serving GPU's expected economics over one day.
func GPUDaily(model DeviceModel, m Market, t Terms) (GPUEconomics, error) {
	return gpuEconomics(&model, &m, &t, true)
}

// ActionValues values the three actions open to the device: its productive one (mine for an
// ASIC, serve for a GPU), sleep and idle, in that order.
func ActionValues(model DeviceModel, m Market, t Terms) ([]ActionValue, error) {
	var out [3]C.hcp_action_value_t
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		C.hcp_action_values(cd, cm, ct, &out[0], C.size_t(len(out)), e)
	})
	if err != nil {
		return nil, err
	}
	values := make([]ActionValue, len(out))
	for i := range out {
		values[i] = goActionValue(&out[i])
	}
	return values, nil
}

// BestAction is the most profitable action at this snapshot, ignoring switching costs (see
// Decider for the stateful form with switching costs and a minimum dwell).
func BestAction(model DeviceModel, m Market, t Terms) (ActionValue, error) {
	var out C.hcp_action_value_t
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		C.hcp_best_action(cd, cm, ct, &out, e)
	})
	if err != nil {
		return ActionValue{}, err
	}
	return goActionValue(&out), nil
}

// NewASICModel is an ASIC given by hashrate (TH/s) and efficiency (J/TH), e.g. for a what-if on a
// future model (hcpcore::econ::DeviceModel::asic): power = ths × J/TH, idle 5 % of that, sleep 25 W.
func NewASICModel(name string, hashrateTHs, joulesPerTH float64) (DeviceModel, error) {
	cname, err := cString("name", name)
	if err != nil {
		return DeviceModel{}, err
	}
	defer freeCString(cname)
	var out C.hcp_device_model_t
	var e *C.hcp_error_t
	C.hcp_asic_model(cname, C.double(hashrateTHs), C.double(joulesPerTH), &out, &e)
	if err := takeError(e); err != nil {
		return DeviceModel{}, err
	}
	return goModel(name, &out), nil
}
