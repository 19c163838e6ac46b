package main

// config.go owns the service's configuration: command-line flags (with environment variables as
// defaults), the site file (examples/site_plan.json's format) and the billing file (plans and
// customers). It reads and checks them; it does not build anything from them.

import (
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// Config is everything the service needs to start.
type Config struct {
	Addr            string        // listen address
	KeysFile        string        // API key file (hashes)
	SiteFile        string        // site file; "" for the small built-in site
	BillingFile     string        // plans and customers
	DataDir         string        // market history (data/market)
	LedgerPath      string        // SQLite usage ledger; ":memory:" for none on disk
	SiteID          string        // the site's name in the router and the API
	MarketStart     string        // replay time 0, e.g. "2024-06-01"
	MarketStep      time.Duration // market time per tick
	MarketDays      int           // days of history replayed before the replay starts over
	Tick            time.Duration // wall time between ticks; 0: no ticker (tests step by hand)
	MeterInterval   time.Duration // how often running work is metered into the ledger
	DefaultDuration time.Duration // how long a workload runs when its requirements do not say
	RatePerSecond   float64       // default per-key rate limit
	Burst           int           // default per-key burst
	MaxBodyBytes    int64         // largest request body
	Now             func() time.Time
}

func envOr(name, fallback string) string {
	if v, ok := os.LookupEnv(name); ok {
		return v
	}
	return fallback
}

// parseFlags reads the flags; each defaults to its HCP_SERVICE_* environment variable, then to
// the value that suits `make serve`.
func parseFlags(args []string) (Config, bool, error) {
	fs := flag.NewFlagSet("hcp-service", flag.ContinueOnError)
	var c Config
	durationFlag := func(p *time.Duration, name, env string, def time.Duration, usage string) {
		d := def
		if v, ok := os.LookupEnv(env); ok {
			if parsed, err := time.ParseDuration(v); err == nil {
				d = parsed
			}
		}
		fs.DurationVar(p, name, d, usage+" (env "+env+")")
	}
	fs.StringVar(&c.Addr, "addr", envOr("HCP_SERVICE_ADDR", "127.0.0.1:8080"), "listen address (env HCP_SERVICE_ADDR)")
	fs.StringVar(&c.KeysFile, "keys", envOr("HCP_SERVICE_KEYS", ""), "API key file, required (env HCP_SERVICE_KEYS)")
	fs.StringVar(&c.SiteFile, "site", envOr("HCP_SERVICE_SITE", ""), "site file like examples/site_plan.json; empty for a small built-in site (env HCP_SERVICE_SITE)")
	fs.StringVar(&c.BillingFile, "billing", envOr("HCP_SERVICE_BILLING", "billing.example.json"), "plans and customers (env HCP_SERVICE_BILLING)")
	fs.StringVar(&c.DataDir, "data", envOr("HCP_SERVICE_DATA", "../../data/market"), "market history directory (env HCP_SERVICE_DATA)")
	fs.StringVar(&c.LedgerPath, "ledger", envOr("HCP_SERVICE_LEDGER", "hcp-service-ledger.db"), "SQLite usage ledger, or :memory: (env HCP_SERVICE_LEDGER)")
	fs.StringVar(&c.SiteID, "site-id", envOr("HCP_SERVICE_SITE_ID", "ercot-south"), "the site's name (env HCP_SERVICE_SITE_ID)")
	fs.StringVar(&c.MarketStart, "market-start", envOr("HCP_SERVICE_MARKET_START", "2024-06-01"), "replay start (env HCP_SERVICE_MARKET_START)")
	durationFlag(&c.MarketStep, "market-step", "HCP_SERVICE_MARKET_STEP", 15*time.Minute, "market time per tick")
	durationFlag(&c.Tick, "tick", "HCP_SERVICE_TICK", time.Second, "wall time between ticks")
	durationFlag(&c.MeterInterval, "meter-interval", "HCP_SERVICE_METER_INTERVAL", time.Minute, "metering interval of running work")
	durationFlag(&c.DefaultDuration, "default-duration", "HCP_SERVICE_DEFAULT_DURATION", 5*time.Minute, "run time of a workload whose requirements give none")
	fs.IntVar(&c.MarketDays, "market-days", 300, "days of history replayed before starting over")
	rateDefault := 10.0
	if v, err := strconv.ParseFloat(envOr("HCP_SERVICE_RATE", ""), 64); err == nil {
		rateDefault = v
	}
	fs.Float64Var(&c.RatePerSecond, "rate", rateDefault, "default requests per second per key (env HCP_SERVICE_RATE)")
	fs.IntVar(&c.Burst, "burst", 20, "default burst per key")
	fs.Int64Var(&c.MaxBodyBytes, "max-body", 1<<20, "largest request body, bytes")
	newKey := fs.String("new-key", "", "print a new API key and its key-file entry: role[:customer_id], e.g. customer:acme")
	if err := fs.Parse(args); err != nil {
		return c, false, err
	}
	if *newKey != "" {
		role, customer, _ := strings.Cut(*newKey, ":")
		key, entry, err := NewKey(strings.TrimSpace(role)+"-"+customer, Role(role), customer)
		if err != nil {
			return c, false, err
		}
		b, _ := json.MarshalIndent(entry, "", "  ")
		fmt.Printf("key (give it to its holder; it is not stored): %s\nkey-file entry:\n%s\n", key, b)
		return c, true, nil
	}
	if c.KeysFile == "" {
		return c, false, fmt.Errorf("-keys is required (make serve passes examples/go-service/keys.example.json)")
	}
	return c, false, c.check()
}

// check refuses values the service cannot run with.
func (c *Config) check() error {
	switch {
	case c.MarketStep <= 0:
		return fmt.Errorf("market-step must be > 0")
	case c.Tick < 0:
		return fmt.Errorf("tick must be >= 0")
	case c.MeterInterval <= 0:
		return fmt.Errorf("meter-interval must be > 0")
	case c.DefaultDuration <= 0:
		return fmt.Errorf("default-duration must be > 0")
	case c.MarketDays < 1:
		return fmt.Errorf("market-days must be >= 1")
	case c.MaxBodyBytes < 1024:
		return fmt.Errorf("max-body must be >= 1024")
	case c.SiteID == "":
		return fmt.Errorf("site-id must be set")
	}
	return nil
}

// siteFile is examples/site_plan.json's format (the fields this service uses).
type siteFile struct {
	Name                    string        `json:"name"`
	CapKW                   float64       `json:"cap_kw"`
	PUE                     float64       `json:"pue"`
	AddersUSDPerKWh         float64       `json:"adders_usd_per_kwh"`
	PoolFee                 float64       `json:"pool_fee"`
	GPUUtilisation          float64       `json:"gpu_utilisation"`
	DemandResponseUSDPerMWh float64       `json:"demand_response_usd_per_mwh"`
	Devices                 []siteDevices `json:"devices"`
}

type siteDevices struct {
	Model string `json:"model"`
	Count uint32 `json:"count"`
}

// defaultSite is a small site for trying the service and for its tests: 8 H100s and 4 S21s
// under a 60 kW cap.
const defaultSite = `{"name": "small built-in site: 8 H100 SXM + 4 S21", "cap_kw": 60, "pue": 1.1,
 "adders_usd_per_kwh": 0.012, "pool_fee": 0.02, "gpu_utilisation": 0.7, "demand_response_usd_per_mwh": 0,
 "devices": [{"model": "H100_SXM", "count": 8}, {"model": "S21", "count": 4}]}`

func loadSite(path string) (siteFile, error) {
	raw := []byte(defaultSite)
	if path != "" {
		var err error
		if raw, err = os.ReadFile(path); err != nil {
			return siteFile{}, fmt.Errorf("site: %w", err)
		}
	}
	var s siteFile
	if err := json.Unmarshal(raw, &s); err != nil {
		return siteFile{}, fmt.Errorf("site: %s: %w", path, err)
	}
	if len(s.Devices) == 0 {
		return siteFile{}, fmt.Errorf("site: %s: no devices", path)
	}
	return s, nil
}

// customerConfig is one customer's plan, subscription terms, budget and router quotas.
type customerConfig struct {
	PlanCode  string  `json:"plan_code"`
	Start     string  `json:"start"`                // subscription start, RFC 3339
	TaxRate   string  `json:"tax_rate,omitempty"`   // percent
	BudgetUSD string  `json:"budget_usd,omitempty"` // monthly budget for alerts; "" for none
	Weight    uint32  `json:"weight,omitempty"`     // fair-share weight; 0 for the router's default
	MaxGPUs   *uint32 `json:"max_gpus,omitempty"`
	MaxQueued *uint32 `json:"max_queued,omitempty"`
}

// billingFile holds the plans (hcp plan JSON, Lago's field names) and the customers.
type billingFile struct {
	DefaultPlan string                     `json:"default_plan"`
	Plans       []json.RawMessage          `json:"plans"`
	Customers   map[string]*customerConfig `json:"customers"`
}

func loadBilling(path string) (*billingFile, error) {
	raw, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("billing: %w", err)
	}
	var b billingFile
	dec := json.NewDecoder(strings.NewReader(string(raw)))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil {
		return nil, fmt.Errorf("billing: %s: %w", path, err)
	}
	if len(b.Plans) == 0 || b.DefaultPlan == "" {
		return nil, fmt.Errorf("billing: %s: needs plans and a default_plan", path)
	}
	return &b, nil
}
