package main

// market.go owns the service's market clock: the real history in data/market replayed by hcp
// (hcpcore.MarketSeries "replay"), one step per tick, starting over at the end of the replayed span.
// It converts a sample into the hcpcore.Market the economics take and into the JSON the API shows;
// it computes no prices itself.

import (
	"fmt"
	"math"
	"sync"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// marketColumns are the columns of an hcp market series, in the order the API shows them.
var marketColumns = []string{"time_seconds", "btc_usd", "difficulty", "height", "fees_btc_per_block", "electricity_usd_per_mwh", "gpu_usd_per_hour"}

// marketPoint is one market sample as the API shows it.
type marketPoint struct {
	Time                 string  `json:"time"` // market time (the replayed history's clock), RFC 3339
	BTCUSD               float64 `json:"btc_usd"`
	Difficulty           float64 `json:"difficulty"`
	Height               int64   `json:"height"`
	FeesBTCPerBlock      float64 `json:"fees_btc_per_block"`
	ElectricityUSDPerMWh float64 `json:"electricity_usd_per_mwh"` // real-time price, may be negative
	ElectricityUSDPerKWh float64 `json:"electricity_usd_per_kwh"` // what the site pays: see econ
	GPUUSDPerHour        float64 `json:"gpu_usd_per_hour"`
}

// econ is the hcpcore.Market of a sample. The site pays the real-time price, floored at zero as hcp's
// MarketPoint::to_market does (its Market prices energy as a cost paid), plus the site's adders;
// the Go API has no MarketPoint → Market conversion, so the unit change is made here.
func (p marketPoint) econ() hcpcore.Market {
	return hcpcore.Market{
		BTCUSD: p.BTCUSD, Difficulty: p.Difficulty, Height: p.Height,
		FeesBTCPerBlock:      hcpcore.Float64(p.FeesBTCPerBlock),
		ElectricityUSDPerKWh: p.ElectricityUSDPerKWh,
		GPUUSDPerHour:        p.GPUUSDPerHour,
	}
}

// marketClock replays a market series one step per tick.
type marketClock struct {
	mu      sync.RWMutex
	start   time.Time
	step    time.Duration
	adders  float64
	columns map[string][]float64
	n       int
	cursor  int // index of the current sample
	laps    int // times the replay started over
}

// parseMarketTime reads the replay start as hcp's replay does ("2024-06-01" or "2024-06-01 00:00:00").
func parseMarketTime(s string) (time.Time, error) {
	for _, layout := range []string{"2006-01-02", "2006-01-02 15:04:05", time.RFC3339} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("market start: cannot parse %q", s)
}

// newMarketClock samples days of history from start, one sample per step, in one call.
func newMarketClock(dataDir, start string, step time.Duration, days int, addersUSDPerKWh float64) (*marketClock, error) {
	t0, err := parseMarketTime(start)
	if err != nil {
		return nil, err
	}
	steps := uint64(math.Ceil(float64(days) * 86400 / step.Seconds()))
	cols, err := hcpcore.MarketSeries("replay", dataDir, start, 0, steps, step.Seconds())
	if err != nil {
		return nil, fmt.Errorf("market replay of %s: %w", dataDir, err)
	}
	n := len(cols["time_seconds"])
	for _, c := range marketColumns {
		if len(cols[c]) != n || n == 0 {
			return nil, fmt.Errorf("market replay: column %s has %d samples, want %d", c, len(cols[c]), n)
		}
	}
	return &marketClock{start: t0, step: step, adders: addersUSDPerKWh, columns: cols, n: n}, nil
}

// pointAt is the sample at index i.
func (mc *marketClock) pointAt(i int) marketPoint {
	return pointFromColumns(mc.columns, i, mc.start, mc.adders)
}

func pointFromColumns(cols map[string][]float64, i int, start time.Time, adders float64) marketPoint {
	t := start.Add(time.Duration(cols["time_seconds"][i] * float64(time.Second)))
	mwh := cols["electricity_usd_per_mwh"][i]
	return marketPoint{
		Time:                 t.Format(time.RFC3339),
		BTCUSD:               cols["btc_usd"][i],
		Difficulty:           cols["difficulty"][i],
		Height:               int64(cols["height"][i]),
		FeesBTCPerBlock:      cols["fees_btc_per_block"][i],
		ElectricityUSDPerMWh: mwh,
		ElectricityUSDPerKWh: math.Max(0, mwh/1000) + adders,
		GPUUSDPerHour:        cols["gpu_usd_per_hour"][i],
	}
}

// current is the sample the site runs at now.
func (mc *marketClock) current() marketPoint {
	mc.mu.RLock()
	defer mc.mu.RUnlock()
	return mc.pointAt(mc.cursor)
}

// currentTime is the market time now.
func (mc *marketClock) currentTime() time.Time {
	mc.mu.RLock()
	defer mc.mu.RUnlock()
	return mc.start.Add(time.Duration(mc.columns["time_seconds"][mc.cursor] * float64(time.Second)))
}

// advance moves one step, starting over after the last sample.
func (mc *marketClock) advance() {
	mc.mu.Lock()
	defer mc.mu.Unlock()
	mc.cursor++
	if mc.cursor == mc.n {
		mc.cursor, mc.laps = 0, mc.laps+1
	}
}

// history is up to limit samples ending at the current one, oldest first (since the replay last
// started over).
func (mc *marketClock) history(limit int) []marketPoint {
	mc.mu.RLock()
	defer mc.mu.RUnlock()
	from := max(0, mc.cursor+1-limit)
	out := make([]marketPoint, 0, mc.cursor+1-from)
	for i := from; i <= mc.cursor; i++ {
		out = append(out, mc.pointAt(i))
	}
	return out
}
