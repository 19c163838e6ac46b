package hcpcore

/*
#include "hcp.h"
*/
import "C"

import (
	"runtime"
	"unsafe"
)

// DailyColumns are per-device economics per day, one entry per device.
type DailyColumns struct {
	RevenueUSDPerDay    []float64 // after the pool fee for miners
	EnergyCostUSDPerDay []float64 // facility energy cost
	ProfitUSDPerDay     []float64 // revenue − energy cost
	BreakevenUSDPerKWh  []float64 // electricity price at which the device's profit is zero
}

// resize returns s with length n, reusing its backing array when it is large enough.
func resize(s []float64, n int) []float64 {
	if cap(s) >= n {
		return s[:n]
	}
	return make([]float64, n)
}

// ptr is the address of a column's first element, or nil for an empty column. A []float64 holds
// no Go pointers, so cgo lets C read it for the duration of the call.
func ptr(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

// runColumns sizes out's columns to n, pins them (their addresses sit in a struct passed to C)
// and runs call with the C view of them.
func runColumns(out *DailyColumns, field string, n int, call func(*C.hcp_daily_columns_t)) error {
	if out == nil {
		return invalidInput("out", "must not be nil")
	}
	if err := checkCount(field, n, MaxBatch); err != nil {
		return err
	}
	out.RevenueUSDPerDay = resize(out.RevenueUSDPerDay, n)
	out.EnergyCostUSDPerDay = resize(out.EnergyCostUSDPerDay, n)
	out.ProfitUSDPerDay = resize(out.ProfitUSDPerDay, n)
	out.BreakevenUSDPerKWh = resize(out.BreakevenUSDPerKWh, n)
	var pin runtime.Pinner
	defer pin.Unpin()
	cols := C.hcp_daily_columns_t{
		revenue_len:     C.size_t(n),
		energy_cost_len: C.size_t(n),
		profit_len:      C.size_t(n),
		breakeven_len:   C.size_t(n),
	}
	if n > 0 {
		for _, c := range [][]float64{out.RevenueUSDPerDay, out.EnergyCostUSDPerDay, out.ProfitUSDPerDay, out.BreakevenUSDPerKWh} {
			pin.Pin(&c[0])
		}
		cols.revenue_usd_per_day = ptr(out.RevenueUSDPerDay)
		cols.energy_cost_usd_per_day = ptr(out.EnergyCostUSDPerDay)
		cols.profit_usd_per_day = ptr(out.ProfitUSDPerDay)
		cols.breakeven_usd_per_kwh = ptr(out.BreakevenUSDPerKWh)
	}
	call(&cols)
	return nil
}

// MinerDailyBatch computes mining economics per day for a fleet given as columns, in one call
// across the boundary: hashrate (TH/s, >= 0) and power (W, > 0) per device, and optionally an
// electricity price per device (USD/kWh; nil for the market's). The columns of out are resized
// to len(hashrateTHs), reusing their capacity, and filled. Mismatched lengths or a NaN, infinite
// or out-of-range value anywhere give ErrInvalidInput naming the column and index ("power_watts:
// [7] must be ..."), with every output zeroed.
func MinerDailyBatch(m Market, t Terms, hashrateTHs, powerWatts, electricityUSDPerKWh []float64, out *DailyColumns) error {
	cm, ct := m.c(), t.c()
	var e *C.hcp_error_t
	err := runColumns(out, "hashrate_ths", len(hashrateTHs), func(cols *C.hcp_daily_columns_t) {
		C.hcp_miner_daily_batch(&cm, &ct,
			ptr(hashrateTHs), C.size_t(len(hashrateTHs)),
			ptr(powerWatts), C.size_t(len(powerWatts)),
			C.bool(electricityUSDPerKWh != nil), ptr(electricityUSDPerKWh), C.size_t(len(electricityUSDPerKWh)),
			cols, &e)
	})
	runtime.KeepAlive(hashrateTHs)
	runtime.KeepAlive(powerWatts)
	runtime.KeepAlive(electricityUSDPerKWh)
	if err != nil {
		return err
	}
	return takeError(e)
}

// GPUDailyBatch computes GPU economics per day for serving GPUs given as columns, in one call:
// TDP and idle power (W) and utilisation (0–1) per device, earning the market's rental rate (or
// tokens, when t.TokensPerSecond is set) × utilisation and drawing idle + utilisation × (TDP −
// idle), × PUE; t.GPUUtilisation is ignored in favour of the column. Optionally an electricity
// price per device (nil for the market's). out is resized to len(powerWatts) and filled; errors
// as MinerDailyBatch.
func GPUDailyBatch(m Market, t Terms, powerWatts, idleWatts, utilisation, electricityUSDPerKWh []float64, out *DailyColumns) error {
	cm, ct := m.c(), t.c()
	var e *C.hcp_error_t
	err := runColumns(out, "power_watts", len(powerWatts), func(cols *C.hcp_daily_columns_t) {
		C.hcp_gpu_daily_batch(&cm, &ct,
			ptr(powerWatts), C.size_t(len(powerWatts)),
			ptr(idleWatts), C.size_t(len(idleWatts)),
			ptr(utilisation), C.size_t(len(utilisation)),
			C.bool(electricityUSDPerKWh != nil), ptr(electricityUSDPerKWh), C.size_t(len(electricityUSDPerKWh)),
			cols, &e)
	})
	runtime.KeepAlive(powerWatts)
	runtime.KeepAlive(idleWatts)
	runtime.KeepAlive(utilisation)
	runtime.KeepAlive(electricityUSDPerKWh)
	if err != nil {
		return err
	}
	return takeError(e)
}

// CurtailColumns are a fleet's curtailment decisions at one snapshot, one entry per device.
type CurtailColumns struct {
	Mine               []bool    // true where the device should mine, false where it should sleep
	ProfitUSDPerHour   []float64 // of the chosen action: revenue + demand-response credit − energy
	BreakevenUSDPerKWh []float64 // electricity price at which mining and sleeping are worth the same
}

// MinerCurtailBatch decides mine or sleep for a fleet of miners in one call across the boundary:
// per device hashrate (TH/s, >= 0), power (W, > 0), sleep power (W, 0 to power) and the electricity
// price it pays (USD/kWh, >= 0) — e.g. miners spread over sites and tariffs under a price-spike
// scenario. Each device mines when that earns at least as much as sleeping (with
// t.DemandResponseUSDPerMWh credited for the load held off), as BestAction decides one device. The
// columns of out are resized to len(hashrateTHs), reusing their capacity, and filled; errors as
// MinerDailyBatch.
func MinerCurtailBatch(m Market, t Terms, hashrateTHs, powerWatts, sleepWatts, electricityUSDPerKWh []float64, out *CurtailColumns) error {
	if out == nil {
		return invalidInput("out", "must not be nil")
	}
	n := len(hashrateTHs)
	if err := checkCount("hashrate_ths", n, MaxBatch); err != nil {
		return err
	}
	if cap(out.Mine) >= n {
		out.Mine = out.Mine[:n]
	} else {
		out.Mine = make([]bool, n)
	}
	out.ProfitUSDPerHour = resize(out.ProfitUSDPerHour, n)
	out.BreakevenUSDPerKWh = resize(out.BreakevenUSDPerKWh, n)
	// The output addresses sit in a struct passed to C: pin them. A Go bool is one byte holding 0
	// or 1, the values the library writes.
	var pin runtime.Pinner
	defer pin.Unpin()
	cols := C.hcp_curtail_columns_t{mine_len: C.size_t(n), profit_len: C.size_t(n), breakeven_len: C.size_t(n)}
	if n > 0 {
		pin.Pin(&out.Mine[0])
		pin.Pin(&out.ProfitUSDPerHour[0])
		pin.Pin(&out.BreakevenUSDPerKWh[0])
		cols.mine = (*C.uint8_t)(unsafe.Pointer(&out.Mine[0]))
		cols.profit_usd_per_hour = ptr(out.ProfitUSDPerHour)
		cols.breakeven_usd_per_kwh = ptr(out.BreakevenUSDPerKWh)
	}
	cm, ct := m.c(), t.c()
	var e *C.hcp_error_t
	C.hcp_miner_curtail_batch(&cm, &ct,
		ptr(hashrateTHs), C.size_t(len(hashrateTHs)),
		ptr(powerWatts), C.size_t(len(powerWatts)),
		ptr(sleepWatts), C.size_t(len(sleepWatts)),
		ptr(electricityUSDPerKWh), C.size_t(len(electricityUSDPerKWh)),
		&cols, &e)
	runtime.KeepAlive(hashrateTHs)
	runtime.KeepAlive(powerWatts)
	runtime.KeepAlive(sleepWatts)
	runtime.KeepAlive(electricityUSDPerKWh)
	return takeError(e)
}
