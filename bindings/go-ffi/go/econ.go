package hcpcore

/*
#include "hcp.h"
*/
import "C"

import (
	"fmt"
	"runtime"
	"sync"
	"unsafe"
)

// Market is one snapshot of prices. It is validated by every call that takes it (NaN, infinities,
// negative prices, Difficulty <= 0, Height < 0, a fee share outside [0, 1) and both fee forms at
// once give ErrInvalidInput); call Validate to check it up front.
//
// Fees are given as BTC per block or as the fee share of the total reward, at most one of the two
// (nil for both means no fees), as in hcpcore::econ::MarketFields:
//
//	m := hcpcore.Market{BTCUSD: 100_000, Difficulty: 1e14, Height: 840_000, FeeShare: hcpcore.Float64(0.02)}
type Market struct {
	BTCUSD               float64  // BTC price, USD
	Difficulty           float64  // network difficulty
	Height               int64    // block height (sets the subsidy)
	FeesBTCPerBlock      *float64 // average fees per block, BTC
	FeeShare             *float64 // fee share of the total reward, in [0, 1)
	ElectricityUSDPerKWh float64  // all-in electricity price
	GPUUSDPerHour        float64  // GPU rental rate, USD per GPU-hour
	USDPerMillionTokens  float64  // token price
}

// Float64 returns a pointer to v, for the optional fields (Market.FeeShare, Terms.TokensPerSecond, ...).
func Float64(v float64) *float64 { return &v }

func optional(p *float64) (C.bool, C.double) {
	if p == nil {
		return false, 0
	}
	return true, C.double(*p)
}

func (m *Market) c() C.hcp_market_t {
	cm := C.hcp_market_t{
		btc_usd:                 C.double(m.BTCUSD),
		difficulty:              C.double(m.Difficulty),
		height:                  C.int64_t(m.Height),
		electricity_usd_per_kwh: C.double(m.ElectricityUSDPerKWh),
		gpu_usd_per_hour:        C.double(m.GPUUSDPerHour),
		usd_per_million_tokens:  C.double(m.USDPerMillionTokens),
	}
	cm.has_fees_btc_per_block, cm.fees_btc_per_block = optional(m.FeesBTCPerBlock)
	cm.has_fee_share, cm.fee_share = optional(m.FeeShare)
	return cm
}

// Validate reports the first bad field of the market, if any.
func (m Market) Validate() error {
	cm := m.c()
	var e *C.hcp_error_t
	C.hcp_market_validate(&cm, &e)
	return takeError(e)
}

// DeviceKind is an ASIC or a GPU.
type DeviceKind int32

// Device kinds.
const (
	ASIC DeviceKind = C.HCP_KIND_ASIC
	GPU  DeviceKind = C.HCP_KIND_GPU
)

// String is "asic" or "gpu".
func (k DeviceKind) String() string {
	if k == GPU {
		return "gpu"
	}
	return "asic"
}

// DeviceModel holds the nameplate figures of a device model.
type DeviceModel struct {
	Name        string
	Kind        DeviceKind
	PowerWatts  float64 // power at nominal full use
	IdleWatts   float64 // power on but idle
	SleepWatts  float64 // power while curtailed
	HashrateTHs float64 // ASIC hashrate, TH/s
	GPUMemoryGB float64 // GPU memory, GB
}

// cModel converts a model for one call. The C struct borrows the Go string's bytes (no copy, no
// NUL needed), so the struct holds a Go pointer: pin keeps it pinned, as cgo requires, until the
// caller's Unpin after the C call. An empty name reads as "custom".
func cModel(d *DeviceModel, pin *runtime.Pinner) C.hcp_device_model_t {
	cm := C.hcp_device_model_t{
		kind:          C.int32_t(d.Kind),
		power_watts:   C.double(d.PowerWatts),
		idle_watts:    C.double(d.IdleWatts),
		sleep_watts:   C.double(d.SleepWatts),
		hashrate_ths:  C.double(d.HashrateTHs),
		gpu_memory_gb: C.double(d.GPUMemoryGB),
	}
	if len(d.Name) > 0 {
		p := unsafe.StringData(d.Name)
		pin.Pin(p)
		cm.name = (*C.char)(unsafe.Pointer(p))
		cm.name_len = C.size_t(len(d.Name))
	}
	return cm
}

func goModel(name string, c *C.hcp_device_model_t) DeviceModel {
	return DeviceModel{
		Name:        name,
		Kind:        DeviceKind(c.kind),
		PowerWatts:  float64(c.power_watts),
		IdleWatts:   float64(c.idle_watts),
		SleepWatts:  float64(c.sleep_watts),
		HashrateTHs: float64(c.hashrate_ths),
		GPUMemoryGB: float64(c.gpu_memory_gb),
	}
}

// JoulesPerTH is the model's efficiency (0 for a GPU).
func (d DeviceModel) JoulesPerTH() float64 {
	if d.HashrateTHs <= 0 {
		return 0
	}
	return d.PowerWatts / d.HashrateTHs
}

// Catalog is a set of device models by name: the built-in ones, with optional JSON overrides.
type Catalog struct {
	mu  sync.RWMutex
	ptr *C.hcp_catalog_t
}

// NewCatalog opens the built-in catalog with models added or replaced by name (none for the
// built-in catalog alone). Kind must be ASIC or GPU; the core validates every figure.
func NewCatalog(models ...DeviceModel) (*Catalog, error) {
	if len(models) == 0 {
		return NewCatalogJSON("")
	}
	type jsonModel struct {
		Name        string  `json:"name"`
		Kind        string  `json:"kind"`
		PowerWatts  float64 `json:"power_watts"`
		IdleWatts   float64 `json:"idle_watts"`
		SleepWatts  float64 `json:"sleep_watts"`
		HashrateTHs float64 `json:"hashrate_ths"`
		GPUMemoryGB float64 `json:"gpu_memory_gb"`
	}
	doc := struct {
		Models []jsonModel `json:"models"`
	}{}
	for i, m := range models {
		kind := map[DeviceKind]string{ASIC: "asic", GPU: "gpu"}[m.Kind]
		if kind == "" {
			return nil, invalidInput(fmt.Sprintf("models[%d].kind", i), fmt.Sprintf("must be ASIC or GPU, got %d", int32(m.Kind)))
		}
		doc.Models = append(doc.Models, jsonModel{m.Name, kind, m.PowerWatts, m.IdleWatts, m.SleepWatts, m.HashrateTHs, m.GPUMemoryGB})
	}
	text, err := marshalConfig("models", doc)
	if err != nil {
		return nil, err
	}
	return NewCatalogJSON(text)
}

// NewCatalogJSON opens the built-in catalog merged with overridesJSON ({"models": [...]}; "" for
// none).
func NewCatalogJSON(overridesJSON string) (*Catalog, error) {
	var js *C.char
	if overridesJSON != "" {
		var err error
		if js, err = cString("overrides_json", overridesJSON); err != nil {
			return nil, err
		}
		defer freeCString(js)
	}
	var e *C.hcp_error_t
	ptr := C.hcp_catalog_new(js, &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	c := &Catalog{ptr: ptr}
	runtime.SetFinalizer(c, (*Catalog).Close)
	return c, nil
}

// Close releases the catalog. It is idempotent; later calls return ErrClosed.
func (c *Catalog) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.ptr != nil {
		C.hcp_catalog_free(c.ptr)
		c.ptr = nil
		runtime.SetFinalizer(c, nil)
	}
	return nil
}

// Get finds a model by name ("S21", "s21 xp", "H100_SXM"; case, '-', '_' and ' ' insensitive).
func (c *Catalog) Get(name string) (DeviceModel, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return DeviceModel{}, closedError("catalog")
	}
	cname, err := cString("name", name)
	if err != nil {
		return DeviceModel{}, err
	}
	defer freeCString(cname)
	var out C.hcp_device_model_t
	var outName *C.char
	var e *C.hcp_error_t
	C.hcp_catalog_get(c.ptr, cname, &out, &outName, &e)
	runtime.KeepAlive(c)
	if err := takeError(e); err != nil {
		return DeviceModel{}, err
	}
	return goModel(takeString(outName), &out), nil
}

// Names lists the catalog's model names in order.
func (c *Catalog) Names() ([]string, error) {
	c.mu.RLock()
	defer c.mu.RUnlock()
	if c.ptr == nil {
		return nil, closedError("catalog")
	}
	n := int(C.hcp_catalog_len(c.ptr))
	names := make([]string, 0, n)
	for i := 0; i < n; i++ {
		names = append(names, takeString(C.hcp_catalog_name(c.ptr, C.size_t(i))))
	}
	runtime.KeepAlive(c)
	return names, nil
}

var builtin = func() *Catalog {
	c, err := NewCatalog()
	if err != nil {
		panic("hcpcore: cannot open the built-in catalog: " + err.Error())
	}
	return c
}()

// GetModel finds a built-in model by name; an unknown name gives ErrInvalidInput.
func GetModel(name string) (DeviceModel, error) { return builtin.Get(name) }

func mustModel(name string) DeviceModel {
	m, err := GetModel(name)
	if err != nil {
		panic("hcpcore: built-in model missing: " + name)
	}
	return m
}

// The built-in models.
var (
	S21      = mustModel("S21")
	S21Pro   = mustModel("S21_PRO")
	S21XP    = mustModel("S21_XP")
	S21Hydro = mustModel("S21_HYDRO")
	S19XP    = mustModel("S19_XP")
	H100SXM  = mustModel("H100_SXM")
	H100PCIe = mustModel("H100_PCIE")
)

// BlockSubsidyBTC is the block subsidy at height, exactly as Bitcoin Core computes it.
func BlockSubsidyBTC(height int64) (float64, error) {
	var e *C.hcp_error_t
	v := C.hcp_block_subsidy_btc(C.int64_t(height), &e)
	return float64(v), takeError(e)
}

// BlockSubsidySats is the block subsidy at height in satoshis.
func BlockSubsidySats(height int64) (uint64, error) {
	var e *C.hcp_error_t
	v := C.hcp_block_subsidy_sats(C.int64_t(height), &e)
	return uint64(v), takeError(e)
}

// NetworkHashrateHs is the network hashrate implied by a difficulty, H/s.
func NetworkHashrateHs(difficulty float64) (float64, error) {
	var e *C.hcp_error_t
	v := C.hcp_network_hashrate_hs(C.double(difficulty), &e)
	return float64(v), takeError(e)
}

// BlockRewardBTC is the expected total reward of one block (subsidy + fees).
func BlockRewardBTC(m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_block_reward_btc(&cm, &e)
	return float64(v), takeError(e)
}

// HashpriceUSDPerPHDay is the expected USD earned by 1 PH/s in a day (Luxor's hashprice).
func HashpriceUSDPerPHDay(m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_hashprice_usd_per_ph_day(&cm, &e)
	return float64(v), takeError(e)
}

// HashpriceUSDPerTHDay is the expected USD earned by 1 TH/s in a day.
func HashpriceUSDPerTHDay(m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_hashprice_usd_per_th_day(&cm, &e)
	return float64(v), takeError(e)
}

// HashpriceBTCPerPHDay is the expected BTC earned by 1 PH/s in a day.
func HashpriceBTCPerPHDay(m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_hashprice_btc_per_ph_day(&cm, &e)
	return float64(v), takeError(e)
}

// HashpriceBTCPerTHDay is the expected BTC earned by 1 TH/s in a day.
func HashpriceBTCPerTHDay(m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_hashprice_btc_per_th_day(&cm, &e)
	return float64(v), takeError(e)
}

// ExpectedBTCPerDay is the BTC a hashrate (TH/s) is expected to find in a day, before pool fees.
func ExpectedBTCPerDay(hashrateTHs float64, m Market) (float64, error) {
	cm := m.c()
	var e *C.hcp_error_t
	v := C.hcp_expected_btc_per_day(C.double(hashrateTHs), &cm, &e)
	return float64(v), takeError(e)
}

// Terms are a site's operating terms, shared by the mining and the GPU maths (hcpcore::econ::Terms).
// Start from DefaultTerms(): the zero value has a PUE of 0, which every call refuses.
type Terms struct {
	PoolFee        float64 // pool fee, fraction of mining revenue in [0, 1)
	PUE            float64 // power usage effectiveness (facility / device power), in [1, 10]
	GPUUtilisation float64 // fraction of hours a serving GPU is billed (rental) or busy (tokens), in [0, 1]
	// TokensPerSecond, when set, makes a GPU earn from tokens (tokens/s at full load × the market's
	// USD per million tokens) instead of rental.
	TokensPerSecond         *float64
	DemandResponseUSDPerMWh float64 // credit for curtailed facility load, USD per MWh (0: none)
}

// DefaultTerms is no pool fee, a PUE of 1, GPUs rented 100 % of hours, no demand-response credit.
func DefaultTerms() Terms { return Terms{PoolFee: 0, PUE: 1, GPUUtilisation: 1} }

func (t *Terms) c() C.hcp_terms_t {
	ct := C.hcp_terms_t{
		pool_fee:                    C.double(t.PoolFee),
		pue:                         C.double(t.PUE),
		gpu_utilisation:             C.double(t.GPUUtilisation),
		demand_response_usd_per_mwh: C.double(t.DemandResponseUSDPerMWh),
	}
	ct.has_tokens_per_second, ct.tokens_per_second = optional(t.TokensPerSecond)
	return ct
}

// MinerDaily is one miner's expected day.
type MinerDaily struct {
	BTC           float64
	RevenueUSD    float64
	EnergyKWh     float64
	EnergyCostUSD float64
	ProfitUSD     float64
}

// modelCall runs call with the C forms of a model, a market and terms, and converts its error.
func modelCall(model *DeviceModel, m *Market, t *Terms, call func(*C.hcp_device_model_t, *C.hcp_market_t, *C.hcp_terms_t, **C.hcp_error_t)) error {
	var pin runtime.Pinner
	defer pin.Unpin()
	cd, cm, ct := cModel(model, &pin), m.c(), t.c()
	var e *C.hcp_error_t
	call(&cd, &cm, &ct, &e)
	return takeError(e)
}

// MinerDailyFor computes a miner's expected day: BTC, revenue, energy, cost and profit. Every
// field of t is validated; the pool fee and PUE apply.
func MinerDailyFor(model DeviceModel, m Market, t Terms) (MinerDaily, error) {
	var out C.hcp_miner_daily_t
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		C.hcp_miner_daily(cd, cm, ct, &out, e)
	})
	if err != nil {
		return MinerDaily{}, err
	}
	return MinerDaily{
		BTC:           float64(out.btc),
		RevenueUSD:    float64(out.revenue_usd),
		EnergyKWh:     float64(out.energy_kwh),
		EnergyCostUSD: float64(out.energy_cost_usd),
		ProfitUSD:     float64(out.profit_usd),
	}, nil
}

// JoulesPerTH is a miner's efficiency; a GPU model gives ErrInvalidInput.
func JoulesPerTH(model DeviceModel) (float64, error) {
	var pin runtime.Pinner
	defer pin.Unpin()
	cd := cModel(&model, &pin)
	var e *C.hcp_error_t
	v := C.hcp_joules_per_th(&cd, &e)
	return float64(v), takeError(e)
}

// HashcostUSDPerTHDay is the hashprice at which the miner breaks even at the market's power price.
func HashcostUSDPerTHDay(model DeviceModel, m Market, t Terms) (float64, error) {
	var v C.double
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		v = C.hcp_hashcost_usd_per_th_day(cd, cm, ct, e)
	})
	return float64(v), err
}

// BreakevenBTCUSD is the BTC price at which the miner breaks even.
func BreakevenBTCUSD(model DeviceModel, m Market, t Terms) (float64, error) {
	var v C.double
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		v = C.hcp_breakeven_btc_usd(cd, cm, ct, e)
	})
	return float64(v), err
}

// BreakevenUSDPerKWh is the electricity price at which the device's productive use breaks even,
// whatever its kind: an ASIC's mining break-even, or a GPU's serving break-even (rental or tokens
// at t.GPUUtilisation).
func BreakevenUSDPerKWh(model DeviceModel, m Market, t Terms) (float64, error) {
	var v C.double
	err := modelCall(&model, &m, &t, func(cd *C.hcp_device_model_t, cm *C.hcp_market_t, ct *C.hcp_terms_t, e **C.hcp_error_t) {
		v = C.hcp_breakeven_usd_per_kwh(cd, cm, ct, e)
	})
	return float64(v), err
}

// PaybackDays is the days until hardware is paid back; ok is false when it never is.
func PaybackDays(hardwareUSD, profitUSDPerDay float64) (days float64, ok bool, err error) {
	var out C.double
	var e *C.hcp_error_t
	got := C.hcp_payback_days(C.double(hardwareUSD), C.double(profitUSDPerDay), &out, &e)
	if err := takeError(e); err != nil {
		return 0, false, err
	}
	return float64(out), bool(got), nil
}

// ROI is the return on investment over days: (profit*days - price) / price.
func ROI(hardwareUSD, profitUSDPerDay, days float64) (float64, error) {
	var e *C.hcp_error_t
	v := C.hcp_roi(C.double(hardwareUSD), C.double(profitUSDPerDay), C.double(days), &e)
	return float64(v), takeError(e)
}
