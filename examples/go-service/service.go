package main

// service.go owns the service's life: building the simulated site from the configuration (hcp
// router, economics site, market clock, billing plans and the usage ledger), the route table,
// serving, and the ordered shutdown that loses no ledger write.

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"log"
	"net"
	"net/http"
	"sort"
	"sync"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// device is one device the service registered with the router.
type device struct {
	ID    string
	Kind  string // "gpu" or "asic"
	Model string
}

// plan is a billing plan with the meter codes it rates.
type plan struct {
	code   string
	plan   *hcpcore.Plan
	meters []string
}

// Service is the running site and its HTTP API.
type Service struct {
	cfg     Config
	now     func() time.Time
	bootID  string // distinguishes this run's usage event ids from earlier runs' in the same ledger
	keys    *keyStore
	router  *hcpcore.Router
	ledger  *hcpcore.Ledger
	billing *billingFile
	plans   map[string]*plan
	site    siteFile
	terms   hcpcore.Terms
	econ    *hcpcore.Site
	models  map[string]hcpcore.DeviceModel // the site's models by name
	devices []device
	market  *marketClock
	hub     *hub
	metrics *metrics
	routes  []route
	handler http.Handler
	server  *http.Server

	// mu guards the simulation state below and serialises the changes that touch both the
	// router and it (submit, cancel, a tick).
	mu            sync.Mutex
	runs          map[uint64]*run            // workloads running on simulated devices
	durations     map[uint64]time.Duration   // run time of each workload not yet finished
	tracked       map[uint64]string          // last state seen of each workload not yet finished
	customers     map[string]bool            // every customer seen
	deviceStatus  map[string]string          // last state published per device
	dirtyDevices  map[string]bool            // devices whose state may have changed since last read
	pending       []hcpcore.UsageEvent       // metered, not yet in the ledger
	periods       map[string]hcpcore.Period  // open billing period per customer
	budgetAlerts  map[string]map[string]bool // budget thresholds reached per customer, this period
	billingErrors map[string]string          // last billing failure logged per customer
	lastStep      time.Time
	lastMeter     time.Time
	lastPlan      map[string]uint32 // running devices per model in the last site plan

	defaultStarts sync.Map // customer → subscription start, for customers the billing file does not name

	tickerStop context.CancelFunc // set under mu
	tickerDone chan struct{}
	stopping   bool // set under mu by Shutdown: no ticker starts after it
	closeOnce  sync.Once
	closeErr   error
}

// NewService builds the simulated site and its API from cfg. Close releases it.
func NewService(cfg Config) (_ *Service, err error) {
	if err := cfg.check(); err != nil {
		return nil, err
	}
	now := cfg.Now
	if now == nil {
		now = time.Now
	}
	var boot [6]byte
	if _, err := rand.Read(boot[:]); err != nil {
		return nil, err
	}
	s := &Service{
		cfg: cfg, now: now, bootID: hex.EncodeToString(boot[:]),
		plans: map[string]*plan{}, models: map[string]hcpcore.DeviceModel{},
		runs: map[uint64]*run{}, durations: map[uint64]time.Duration{}, tracked: map[uint64]string{},
		customers: map[string]bool{}, deviceStatus: map[string]string{}, dirtyDevices: map[string]bool{}, periods: map[string]hcpcore.Period{},
		budgetAlerts: map[string]map[string]bool{}, billingErrors: map[string]string{}, lastPlan: map[string]uint32{},
		hub: newHub(now),
	}
	defer func() {
		if err != nil {
			s.release()
		}
	}()
	if s.keys, err = loadKeys(cfg.KeysFile, cfg.RatePerSecond, cfg.Burst); err != nil {
		return nil, err
	}
	if s.site, err = loadSite(cfg.SiteFile); err != nil {
		return nil, err
	}
	if s.billing, err = loadBilling(cfg.BillingFile); err != nil {
		return nil, err
	}
	if err = s.buildEconomics(); err != nil {
		return nil, err
	}
	if err = s.buildRouter(); err != nil {
		return nil, err
	}
	if s.market, err = newMarketClock(cfg.DataDir, cfg.MarketStart, cfg.MarketStep, cfg.MarketDays, s.site.AddersUSDPerKWh); err != nil {
		return nil, err
	}
	if err = s.buildBilling(); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s.router)
	s.routes = s.routeTable()
	s.handler = s.buildMux()
	s.server = &http.Server{
		Handler:           s.handler,
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
	}
	s.lastStep, s.lastMeter = now(), now()
	s.catchUpInvoices()
	s.mu.Lock()
	s.observeLocked() // prices, plan and device states before the first tick
	s.mu.Unlock()
	return s, nil
}

// buildEconomics makes the economics site (hcpcore.NewSiteFromJSON, from the site file's fields) and
// the terms and models the profitability calls use.
func (s *Service) buildEconomics() error {
	spec, err := json.Marshal(map[string]any{
		"devices": s.site.Devices, "cap_kw": s.site.CapKW, "pue": s.site.PUE, "pool_fee": s.site.PoolFee,
		"gpu_utilisation": s.site.GPUUtilisation, "demand_response_usd_per_mwh": s.site.DemandResponseUSDPerMWh,
	})
	if err != nil {
		return err
	}
	if s.econ, err = hcpcore.NewSiteFromJSON(string(spec)); err != nil {
		return fmt.Errorf("site: %w", err)
	}
	s.terms = hcpcore.Terms{PoolFee: s.site.PoolFee, PUE: s.site.PUE, GPUUtilisation: s.site.GPUUtilisation,
		DemandResponseUSDPerMWh: s.site.DemandResponseUSDPerMWh}
	for _, d := range s.site.Devices {
		m, err := hcpcore.GetModel(d.Model)
		if err != nil {
			return fmt.Errorf("site: %w", err)
		}
		s.models[d.Model] = m
	}
	return nil
}

// buildRouter registers every device of the site with a router on the service's clock.
func (s *Service) buildRouter() error {
	var err error
	if s.router, err = hcpcore.NewRouter(hcpcore.RouterConfig{ManualClock: true}); err != nil {
		return err
	}
	for _, d := range s.site.Devices {
		m := s.models[d.Model]
		for i := uint32(0); i < d.Count; i++ {
			dev := device{ID: fmt.Sprintf("%s-%04d", sanitize(d.Model), len(s.devices)+1), Kind: m.Kind.String(), Model: d.Model}
			if err := s.router.AddDevice(dev.ID, dev.Kind, d.Model, s.cfg.SiteID, 0); err != nil {
				return fmt.Errorf("site: %w", err)
			}
			s.devices = append(s.devices, dev)
			s.dirtyDevices[dev.ID] = true
		}
	}
	if s.site.CapKW > 0 {
		// The router admits work against the cap as device draw (see the report on PUE).
		if err := s.router.SetSitePowerCapKW(s.cfg.SiteID, hcpcore.Float64(s.site.CapKW)); err != nil {
			return fmt.Errorf("site: %w", err)
		}
	}
	return nil
}

// sanitize makes a model name fit a device id ("S21 XP" → "s21-xp").
func sanitize(name string) string {
	out := make([]byte, 0, len(name))
	for _, c := range []byte(name) {
		switch {
		case c >= 'A' && c <= 'Z':
			out = append(out, c+'a'-'A')
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			out = append(out, c)
		default:
			out = append(out, '-')
		}
	}
	return string(out)
}

// buildBilling parses the plans, opens the ledger and sets the configured customers' router
// weights and quotas.
func (s *Service) buildBilling() error {
	for i, raw := range s.billing.Plans {
		var head struct {
			Code   string `json:"code"`
			Meters []struct {
				Code string `json:"code"`
			} `json:"meters"`
		}
		if err := json.Unmarshal(raw, &head); err != nil {
			return fmt.Errorf("billing: plans[%d]: %w", i, err)
		}
		p, err := hcpcore.NewPlanJSON(string(raw))
		if err != nil {
			return fmt.Errorf("billing: plans[%d]: %w", i, err)
		}
		pl := &plan{code: head.Code, plan: p}
		for _, m := range head.Meters {
			pl.meters = append(pl.meters, m.Code)
		}
		s.plans[head.Code] = pl
	}
	if s.plans[s.billing.DefaultPlan] == nil {
		return fmt.Errorf("billing: default_plan %q is not among the plans", s.billing.DefaultPlan)
	}
	for id, c := range s.billing.Customers {
		if s.plans[c.PlanCode] == nil {
			return fmt.Errorf("billing: customer %s: unknown plan %q", id, c.PlanCode)
		}
		if c.Weight != 0 || c.MaxGPUs != nil || c.MaxQueued != nil {
			w := c.Weight
			if w == 0 {
				w = 1
			}
			if err := s.router.SetCustomer(id, hcpcore.CustomerConfig{Weight: w, MaxGPUs: c.MaxGPUs, MaxQueued: c.MaxQueued}); err != nil {
				return fmt.Errorf("billing: customer %s: %w", id, err)
			}
		}
		s.customers[id] = true
	}
	for _, id := range s.keys.customers() {
		s.customers[id] = true
	}
	var err error
	if s.cfg.LedgerPath == ":memory:" {
		s.ledger = hcpcore.NewMemoryLedger()
	} else if s.ledger, err = hcpcore.OpenLedger(s.cfg.LedgerPath, hcpcore.DurabilityFull); err != nil {
		return fmt.Errorf("ledger %s: %w", s.cfg.LedgerPath, err)
	}
	return nil
}

// subscription is a customer's plan and the subscription hcp bills it under: the configured one,
// or the default plan from the start of the month the service first billed a customer the file
// does not name (kept while the service runs; name a customer in the file to fix its start).
func (s *Service) subscription(customerID string) (*plan, hcpcore.Subscription, string) {
	if c := s.billing.Customers[customerID]; c != nil {
		sub := hcpcore.Subscription{CustomerID: customerID, Start: c.Start, TaxRate: c.TaxRate}
		return s.plans[c.PlanCode], sub, c.BudgetUSD
	}
	t := s.now().UTC()
	start, _ := s.defaultStarts.LoadOrStore(customerID, time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC).Format(time.RFC3339))
	return s.plans[s.billing.DefaultPlan], hcpcore.Subscription{CustomerID: customerID, Start: start.(string)}, ""
}

// knownCustomers lists every customer seen, sorted.
func (s *Service) knownCustomers() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]string, 0, len(s.customers))
	for c := range s.customers {
		out = append(out, c)
	}
	sort.Strings(out)
	return out
}

// Handler is the service's HTTP handler.
func (s *Service) Handler() http.Handler { return s.handler }

// Serve answers requests on ln and runs the ticker, until Shutdown.
func (s *Service) Serve(ln net.Listener) error {
	s.startTicker()
	err := s.server.Serve(ln)
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}

// startTicker steps the site every cfg.Tick (not at all when it is 0: tests step by hand).
func (s *Service) startTicker() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cfg.Tick <= 0 || s.tickerStop != nil || s.stopping {
		return
	}
	ctx, cancel := context.WithCancel(context.Background())
	s.tickerStop, s.tickerDone = cancel, make(chan struct{})
	go func() {
		defer close(s.tickerDone)
		t := time.NewTicker(s.cfg.Tick)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				s.Step()
			}
		}
	}()
}

// Shutdown stops the service in an order that loses no ledger write: stop taking requests and
// wait for those in flight, disconnect WebSocket clients, stop the ticker after its current tick,
// meter the work still running up to now and write everything metered to the ledger, then close
// the ledger and the router. It returns the first error, e.g. a final ledger write that failed.
func (s *Service) Shutdown(ctx context.Context) error {
	s.closeOnce.Do(func() {
		var errs []error
		if err := s.server.Shutdown(ctx); err != nil {
			errs = append(errs, fmt.Errorf("http shutdown: %w", err))
		}
		s.hub.close()
		s.mu.Lock()
		s.stopping = true
		stop, done := s.tickerStop, s.tickerDone
		s.mu.Unlock()
		if stop != nil {
			stop()
			<-done // the tick in progress finishes first
		}
		s.mu.Lock()
		now := s.now()
		for _, id := range s.runIDsLocked() {
			s.meterLocked(s.runs[id], now)
		}
		if err := s.flushLocked(); err != nil {
			errs = append(errs, fmt.Errorf("final ledger write of %d events: %w", len(s.pending), err))
		}
		s.mu.Unlock()
		s.release()
		s.closeErr = errors.Join(errs...)
	})
	return s.closeErr
}

// release closes the hcp handles (each Close is idempotent).
func (s *Service) release() {
	if s.ledger != nil {
		s.ledger.Close()
	}
	if s.router != nil {
		s.router.Close()
	}
	if s.econ != nil {
		s.econ.Close()
	}
	for _, p := range s.plans {
		p.plan.Close()
	}
}

// logf logs a failure the service carries on after.
func logf(format string, args ...any) { log.Printf(format, args...) }
