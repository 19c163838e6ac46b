package hcpcore

/*
#include "hcp.h"
*/
import "C"

import (
	"runtime"
	"sync"
)

// DeviceGroup is a number of identical devices.
type DeviceGroup struct {
	Model DeviceModel
	Count uint32
}

// GroupPlan is what one device group does under a plan.
type GroupPlan struct {
	Model          string // model name
	Kind           DeviceKind
	Count          uint32      // devices in the group
	Running        uint32      // devices mining or serving
	Curtailed      uint32      // Count − Running
	RunningValue   ActionValue // value per hour of one running device
	CurtailedValue ActionValue // value per hour of one curtailed device (sleep, or idle where cheaper)
	USDPerKWh      float64     // marginal profit of running one device, USD per facility kWh
}

// SitePlan is a site plan at one market snapshot, with its expected economics per hour.
type SitePlan struct {
	Groups                  []GroupPlan // one per device group, in the site's order
	CapKW                   float64     // the cap, facility kW
	FacilityKW              float64     // facility power drawn
	MiningKW                float64     // facility power of the running miners
	GPUKW                   float64     // facility power of the running GPUs
	CurtailedKW             float64     // load held off by curtailment, facility kW
	DevicesRunning          uint64
	DevicesCurtailed        uint64
	BTCPerHour              float64 // after the pool fee
	MiningRevenueUSDPerHour float64
	GPURevenueUSDPerHour    float64
	EnergyCostUSDPerHour    float64
	CreditUSDPerHour        float64 // demand-response credit
	ProfitUSDPerHour        float64 // mining + GPU revenue + credit − energy cost
}

// Site is a facility's device groups, power cap and terms (hcpcore::econ::Site), planned at each
// market snapshot. It holds Rust memory: Close it when done (a finalizer is a safety net). A Site
// never changes once built, so many goroutines may plan on it at once.
type Site struct {
	mu     sync.RWMutex
	ptr    *C.hcp_site_t
	groups []string
	capKW  float64
}

// NewSite builds a site from device groups, a facility power cap (kW) and terms. Groups of the
// same model name are merged (their figures must agree); a cap below the load of the whole site
// curtailed gives ErrInvalidInput naming "cap_kw".
func NewSite(groups []DeviceGroup, capKW float64, t Terms) (*Site, error) {
	if err := checkCount("groups", len(groups), MaxFleetDevices); err != nil {
		return nil, err
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	cgroups := make([]C.hcp_device_group_t, len(groups))
	for i := range groups {
		cgroups[i] = C.hcp_device_group_t{model: cModel(&groups[i].Model, &pin), count: C.uint32_t(groups[i].Count)}
	}
	ct := t.c()
	var e *C.hcp_error_t
	var ptr *C.hcp_site_t
	if len(cgroups) > 0 {
		ptr = C.hcp_site_new(&cgroups[0], C.size_t(len(cgroups)), C.double(capKW), &ct, &e)
	} else {
		ptr = C.hcp_site_new(nil, 0, C.double(capKW), &ct, &e)
	}
	if err := takeError(e); err != nil {
		return nil, err
	}
	return wrapSite(ptr), nil
}

// NewSiteFromJSON builds a site from its JSON spec, model names looked up in the built-in catalog:
// {"devices": [{"model": "S21", "count": 1000}, {"model": "H100 SXM", "count": 512}], "cap_kw": 4000,
// "pue": 1.1, "pool_fee": 0.02, "gpu_utilisation": 0.8}. Malformed JSON gives ErrInvalidInput naming "site".
func NewSiteFromJSON(spec string) (*Site, error) {
	cspec, err := cString("site", spec)
	if err != nil {
		return nil, err
	}
	defer freeCString(cspec)
	var e *C.hcp_error_t
	ptr := C.hcp_site_from_json(cspec, &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	return wrapSite(ptr), nil
}

func wrapSite(ptr *C.hcp_site_t) *Site {
	n := int(C.hcp_site_group_count(ptr))
	s := &Site{ptr: ptr, groups: make([]string, n), capKW: float64(C.hcp_site_cap_kw(ptr))}
	for i := range s.groups {
		s.groups[i] = takeString(C.hcp_site_group_name(ptr, C.size_t(i)))
	}
	runtime.SetFinalizer(s, (*Site).Close)
	return s
}

// Close releases the site. It is idempotent; later calls return ErrClosed.
func (s *Site) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.ptr != nil {
		C.hcp_site_free(s.ptr)
		s.ptr = nil
		runtime.SetFinalizer(s, nil)
	}
	return nil
}

// GroupModels lists the model name of each device group, after merging, in plan order.
func (s *Site) GroupModels() []string { return append([]string(nil), s.groups...) }

// CapKW is the site's facility power cap, kW.
func (s *Site) CapKW() float64 { return s.capKW }

// Plan is the allocation earning the most per hour at m under the cap: loss-making devices are
// curtailed even when the cap has room; the others get power by marginal USD per facility kWh.
func (s *Site) Plan(m Market) (SitePlan, error) { return s.plan(m, false) }

// PlanAlwaysOn is the always-on baseline: every device runs whatever the price, up to the cap
// (GPUs first, then miners by TH per W); devices the cap cannot hold are curtailed.
func (s *Site) PlanAlwaysOn(m Market) (SitePlan, error) { return s.plan(m, true) }

func (s *Site) plan(m Market, alwaysOn bool) (SitePlan, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	if s.ptr == nil {
		return SitePlan{}, closedError("site")
	}
	cm := m.c()
	var out C.hcp_site_plan_t
	groups := make([]C.hcp_group_plan_t, len(s.groups))
	var gp *C.hcp_group_plan_t
	if len(groups) > 0 {
		gp = &groups[0]
	}
	var e *C.hcp_error_t
	if alwaysOn {
		C.hcp_site_plan_always_on(s.ptr, &cm, &out, gp, C.size_t(len(groups)), &e)
	} else {
		C.hcp_site_plan(s.ptr, &cm, &out, gp, C.size_t(len(groups)), &e)
	}
	runtime.KeepAlive(s)
	if err := takeError(e); err != nil {
		return SitePlan{}, err
	}
	plan := SitePlan{
		Groups:                  make([]GroupPlan, len(groups)),
		CapKW:                   float64(out.cap_kw),
		FacilityKW:              float64(out.facility_kw),
		MiningKW:                float64(out.mining_kw),
		GPUKW:                   float64(out.gpu_kw),
		CurtailedKW:             float64(out.curtailed_kw),
		DevicesRunning:          uint64(out.devices_running),
		DevicesCurtailed:        uint64(out.devices_curtailed),
		BTCPerHour:              float64(out.btc_per_hour),
		MiningRevenueUSDPerHour: float64(out.mining_revenue_usd_per_hour),
		GPURevenueUSDPerHour:    float64(out.gpu_revenue_usd_per_hour),
		EnergyCostUSDPerHour:    float64(out.energy_cost_usd_per_hour),
		CreditUSDPerHour:        float64(out.credit_usd_per_hour),
		ProfitUSDPerHour:        float64(out.profit_usd_per_hour),
	}
	for i := range groups {
		g := &groups[i]
		plan.Groups[i] = GroupPlan{
			Model:          s.groups[i],
			Kind:           DeviceKind(g.kind),
			Count:          uint32(g.count),
			Running:        uint32(g.running),
			Curtailed:      uint32(g.curtailed),
			RunningValue:   goActionValue(&g.running_value),
			CurtailedValue: goActionValue(&g.curtailed_value),
			USDPerKWh:      float64(g.usd_per_kwh),
		}
	}
	return plan, nil
}
