package main

// sim.go owns one tick of the simulated site: the market clock moves, the router's clock and
// market follow it, finished work completes, waiting work is placed and started, running work is
// metered into the ledger, and what changed is published over /ws. Every decision (which workload
// runs where, which miner sleeps, what a device earns, what usage costs) is hcp's; this file only
// carries its results between the router, the economics, the ledger and the clients. Callers hold
// s.mu for every *Locked function.

import (
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// run is a workload running on simulated devices.
type run struct {
	id           uint64
	customerID   string
	workloadType string
	meterCode    string // gpu_seconds or asic_seconds
	devices      []string
	startedAt    time.Time
	endsAt       time.Time
	meteredUntil time.Time
	seq          int
}

// terminal says whether a workload state is final.
func terminal(state string) bool {
	switch state {
	case "completed", "failed", "cancelled", "rejected":
		return true
	}
	return false
}

// Step runs one tick of the site at the service's clock.
func (s *Service) Step() {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	s.market.advance()
	if dt := now.Sub(s.lastStep).Seconds(); dt > 0 {
		if err := s.router.AdvanceTime(dt); err != nil {
			logf("tick: advance router clock: %v", err)
		}
	}
	s.lastStep = now

	// Work whose run time is over completes, in one call.
	var due []uint64
	for _, id := range s.runIDsLocked() {
		if !now.Before(s.runs[id].endsAt) {
			due = append(due, id)
		}
	}
	if len(due) > 0 {
		ok, err := s.router.CompleteBatch(due)
		if err != nil {
			logf("tick: complete: %v", err)
		}
		for i, id := range due {
			if err == nil && ok[i] {
				s.endRunLocked(id, now)
			}
		}
	}
	s.dispatchLocked(now)
	if now.Sub(s.lastMeter) >= s.cfg.MeterInterval {
		for _, id := range s.runIDsLocked() {
			s.meterLocked(s.runs[id], now)
		}
		s.lastMeter = now
	}
	s.refreshTrackedLocked(now)
	s.observeLocked()
	s.billLocked(now)
}

// runIDsLocked lists the running workloads in id order (so ticks are deterministic).
func (s *Service) runIDsLocked() []uint64 {
	ids := make([]uint64, 0, len(s.runs))
	for id := range s.runs {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	return ids
}

// dispatchLocked places every waiting workload the router can place now and starts it on its
// devices; work preempted to make room is metered up to now and goes back to waiting.
func (s *Service) dispatchLocked(now time.Time) {
	for {
		a, err := s.router.Dispatch()
		if err != nil {
			logf("dispatch: %v", err)
			return
		}
		if a == nil {
			return
		}
		for _, v := range a.PreemptedWorkloadIDs {
			s.endRunLocked(v, now)
		}
		s.markDevicesLocked(a.DeviceIDs...)
		s.markDevicesLocked(a.CurtailedDeviceIDs...)
		if err := s.router.Start(a.WorkloadID); err != nil {
			logf("dispatch: start %d: %v", a.WorkloadID, err)
			continue
		}
		info, err := s.router.Workload(a.WorkloadID)
		if err != nil {
			logf("dispatch: workload %d: %v", a.WorkloadID, err)
			continue
		}
		meter := "gpu_seconds"
		if len(a.DeviceIDs) > 0 && s.deviceKind(a.DeviceIDs[0]) == "asic" {
			meter = "asic_seconds"
		}
		d, ok := s.durations[a.WorkloadID]
		if !ok {
			d = s.cfg.DefaultDuration
		}
		s.runs[a.WorkloadID] = &run{
			id: a.WorkloadID, customerID: info.CustomerID, workloadType: info.WorkloadType, meterCode: meter,
			devices: a.DeviceIDs, startedAt: now, endsAt: now.Add(d), meteredUntil: now,
		}
		for _, dev := range a.CurtailedDeviceIDs {
			s.hub.publish(msgAlert, toOperators, alert{Severity: "info", Kind: "miner_curtailed", Resource: dev,
				Message: fmt.Sprintf("miner %s sleeps to give workload %d power under the site cap", dev, a.WorkloadID)})
		}
	}
}

// deviceKind is the kind of a registered device ("" if unknown).
func (s *Service) deviceKind(id string) string {
	for _, d := range s.devices {
		if d.ID == id {
			return d.Kind
		}
	}
	return ""
}

// endRunLocked meters a run up to now and forgets it (its work completed, was cancelled or
// failed, or was preempted back to the queue); its devices' states are read again.
func (s *Service) endRunLocked(id uint64, now time.Time) {
	if r := s.runs[id]; r != nil {
		s.meterLocked(r, now)
		s.markDevicesLocked(r.devices...)
		delete(s.runs, id)
	}
}

// markDevicesLocked notes devices whose state may have changed. Devices change state only
// through the router calls this service makes (placement, curtailment, completion, cancellation,
// preemption, waking miners), so only those are read again at the next tick: the Go API has no
// bulk device view, and reading all of a large site each tick costs one call per device.
func (s *Service) markDevicesLocked(ids ...string) {
	for _, id := range ids {
		s.dirtyDevices[id] = true
	}
}

// meterLocked records r's device time since it was last metered as one usage event.
func (s *Service) meterLocked(r *run, now time.Time) {
	if r == nil || !now.After(r.meteredUntil) {
		return
	}
	// The event is stamped with the start of the interval it covers, so usage up to a period's
	// end falls in that period (intervals are at most one tick past the metering interval).
	seconds := now.Sub(r.meteredUntil).Seconds() * float64(len(r.devices))
	s.pending = append(s.pending, hcpcore.UsageEvent{
		EventID:    fmt.Sprintf("%s-wl%d-%d", s.bootID, r.id, r.seq),
		CustomerID: r.customerID,
		MeterCode:  r.meterCode,
		Quantity:   strconv.FormatFloat(seconds, 'f', 3, 64),
		Timestamp:  r.meteredUntil.UTC().Format(time.RFC3339Nano),
		Properties: map[string]any{"workload_id": r.id, "workload_type": r.workloadType, "devices": len(r.devices)},
	})
	r.seq++
	r.meteredUntil = now
}

// flushLocked writes the metered events to the ledger in one batch; on failure they stay pending
// and the next tick (or the shutdown) tries again — the ledger counts an event id once.
func (s *Service) flushLocked() error {
	for len(s.pending) > 0 {
		n := min(len(s.pending), hcpcore.MaxBatch)
		if _, err := s.ledger.Ingest(s.pending[:n]); err != nil {
			return err
		}
		s.pending = s.pending[n:]
	}
	return nil
}

// refreshTrackedLocked publishes the workloads whose state changed since last seen, including the
// router's own changes (realtime work dropped past its latency bound, preemptions).
func (s *Service) refreshTrackedLocked(now time.Time) {
	ids := make([]uint64, 0, len(s.tracked))
	for id := range s.tracked {
		ids = append(ids, id)
	}
	sort.Slice(ids, func(i, j int) bool { return ids[i] < ids[j] })
	for _, id := range ids {
		info, err := s.router.Workload(id)
		if err != nil {
			logf("tick: workload %d: %v", id, err)
			continue
		}
		s.noteWorkloadLocked(info, now)
	}
}

// noteWorkloadLocked publishes a workload whose state changed and forgets finished ones.
func (s *Service) noteWorkloadLocked(info hcpcore.WorkloadInfo, now time.Time) {
	last, known := s.tracked[info.ID]
	if !known || last != info.State {
		s.hub.publish(msgWorkload, toCustomer(info.CustomerID), s.viewLocked(info))
	}
	if terminal(info.State) {
		s.endRunLocked(info.ID, now)
		delete(s.tracked, info.ID)
		delete(s.durations, info.ID)
		return
	}
	s.tracked[info.ID] = info.State
}

// alert is an alert_update's data.
type alert struct {
	Severity   string `json:"severity"` // info, warning, critical
	Kind       string `json:"kind"`
	Message    string `json:"message"`
	CustomerID string `json:"customer_id,omitempty"`
	Resource   string `json:"resource,omitempty"`
}

// observeLocked follows the market: the router prices miners' power at it and wakes curtailed
// miners while the cap allows; the economics plan the site at it; prices, plan changes, device
// changes and a metrics snapshot are published.
func (s *Service) observeLocked() {
	p := s.market.current()
	m := p.econ()
	if err := s.router.SetMarket(m); err != nil {
		logf("tick: router market: %v", err)
	}
	woken, err := s.router.ResumeMiners(s.cfg.SiteID)
	if err != nil {
		logf("tick: resume miners: %v", err)
	}
	s.markDevicesLocked(woken...)
	var hashprice float64
	_ = s.metrics.observe("hashprice", func() (err error) { hashprice, err = hcpcore.HashpriceUSDPerPHDay(m); return err })
	s.metrics.setPrices(p, hashprice)

	var sp hcpcore.SitePlan
	err = s.metrics.observe("site_plan", func() (err error) { sp, err = s.econ.Plan(m); return err })
	if err != nil {
		logf("tick: site plan: %v", err)
	} else {
		for _, g := range sp.Groups {
			prev, seen := s.lastPlan[g.Model]
			if seen && prev != g.Running {
				sev := "info"
				if g.Running < prev {
					sev = "warning"
				}
				s.hub.publish(msgAlert, toOperators, alert{Severity: sev, Kind: "plan_changed", Resource: g.Model,
					Message: fmt.Sprintf("at %s the economics run %d of %d %s (was %d): %.4f USD per facility kWh",
						p.Time, g.Running, g.Count, g.Model, prev, g.USDPerKWh)})
			}
			s.lastPlan[g.Model] = g.Running
		}
	}

	var changed []resourceView
	dirty := make([]string, 0, len(s.dirtyDevices))
	for id := range s.dirtyDevices {
		dirty = append(dirty, id)
	}
	sort.Strings(dirty)
	for _, id := range dirty {
		delete(s.dirtyDevices, id)
		info, err := s.router.Device(id)
		if err != nil {
			logf("tick: device %s: %v", id, err)
			continue
		}
		v := resourceFrom(info)
		if s.deviceStatus[id] != v.State {
			if s.deviceStatus[id] != "" {
				changed = append(changed, v)
			}
			s.deviceStatus[id] = v.State
		}
	}
	if len(changed) > 0 {
		s.hub.publish(msgResource, toOperators, map[string]any{"resources": changed})
	}
	counts, _ := s.router.Counts()
	depths, _ := s.router.QueueDepths()
	loadKW, _ := s.router.SiteLoadKW(s.cfg.SiteID)
	s.hub.publish(msgMetrics, toEveryone, map[string]any{
		"market": p, "hashprice_usd_per_ph_day": hashprice, "workloads": counts,
		"queue_depth": depthView(depths), "site_load_kw": loadKW, "cap_kw": s.site.CapKW,
	})
}

// billLocked writes the metered usage to the ledger, tells each customer whose usage moved its
// spend against budget, and issues the invoices of periods that have ended.
func (s *Service) billLocked(now time.Time) {
	moved := map[string]bool{}
	for _, e := range s.pending {
		moved[e.CustomerID] = true
	}
	if err := s.flushLocked(); err != nil {
		logf("tick: ledger write (kept for the next tick): %v", err)
		return
	}
	at := now.UTC().Format(time.RFC3339Nano)
	for c := range s.customers {
		pl, sub, budget := s.subscription(c)
		prev, hasPrev := s.periods[c]
		if hasPrev && !now.Before(mustTime(prev.End)) {
			inv, err := s.ledger.IssueInvoice(pl.plan, sub, prev.Start)
			switch {
			case err == nil:
				s.hub.publish(msgBilling, toCustomer(c), map[string]any{"customer_id": c, "invoice_issued": inv})
			case !isConflict(err):
				s.logBillingOnce(c, fmt.Sprintf("invoice of the period from %s: %v", prev.Start, err))
				continue
			}
			delete(s.budgetAlerts, c)
		}
		if !moved[c] && hasPrev && now.Before(mustTime(prev.End)) {
			continue
		}
		preview, err := s.ledger.PreviewInvoice(pl.plan, sub, at)
		if err != nil {
			s.logBillingOnce(c, fmt.Sprintf("preview invoice: %v", err))
			continue
		}
		delete(s.billingErrors, c)
		s.periods[c] = preview.Period
		update := map[string]any{"customer_id": c, "period": preview.Period, "subtotal": preview.Subtotal, "total": preview.Total, "currency": preview.Currency.Code}
		var st *hcpcore.BudgetStatus
		if budget != "" {
			if st, err = s.ledger.BudgetStatus(pl.plan, sub, at, budget, nil); err != nil {
				logf("tick: budget for %s: %v", c, err)
			} else {
				update["budget"] = st
			}
		}
		if moved[c] {
			s.hub.publish(msgBilling, toCustomer(c), update)
		}
		if st != nil {
			s.budgetAlertsLocked(c, st)
		}
	}
}

// logBillingOnce logs a customer's billing failure once until it changes or billing succeeds, so
// that a bad subscription does not fill the log every tick.
func (s *Service) logBillingOnce(customer, msg string) {
	if s.billingErrors[customer] != msg {
		s.billingErrors[customer] = msg
		logf("billing %s: %s", customer, msg)
	}
}

// catchUpInvoices issues, at start, the invoice of each customer's previous period when the
// ledger has usage in it and it was not issued — the period closed while the service was down.
func (s *Service) catchUpInvoices() {
	now := s.now()
	for c := range s.customers {
		pl, sub, _ := s.subscription(c)
		open, err := s.ledger.PreviewInvoice(pl.plan, sub, now.UTC().Format(time.RFC3339Nano))
		if err != nil {
			continue // no open period yet (a subscription that starts later)
		}
		last, err := s.ledger.PreviewInvoice(pl.plan, sub, mustTime(open.Period.Start).Add(-time.Nanosecond).Format(time.RFC3339Nano))
		if err != nil {
			continue // the subscription started in the open period
		}
		events, err := s.ledger.Usage(c, pl.meters, last.Period.Start, last.Period.End)
		if err != nil || len(events) == 0 {
			continue
		}
		if _, err := s.ledger.IssueInvoice(pl.plan, sub, last.Period.Start); err != nil && !isConflict(err) {
			logf("billing %s: invoice of the period from %s: %v", c, last.Period.Start, err)
		} else if err == nil {
			logf("billing %s: issued the invoice of the period from %s, which closed while the service was down", c, last.Period.Start)
		}
	}
}

// budgetAlertsLocked publishes each budget threshold the first time spend to date reaches it.
func (s *Service) budgetAlertsLocked(customer string, st *hcpcore.BudgetStatus) {
	seen := s.budgetAlerts[customer]
	if seen == nil {
		seen = map[string]bool{}
		s.budgetAlerts[customer] = seen
	}
	for _, a := range st.Alerts {
		if !a.Reached || seen[a.ThresholdPercent] {
			continue
		}
		seen[a.ThresholdPercent] = true
		s.hub.publish(msgAlert, toCustomer(customer), alert{Severity: "warning", Kind: "budget", CustomerID: customer,
			Message: fmt.Sprintf("%s has spent %s of its %s budget (%s%%), reaching the %s%% threshold", customer, st.SpendToDate, st.Budget, st.UsedPercent, a.ThresholdPercent)})
	}
}

func mustTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

func isConflict(err error) bool { return errors.Is(err, hcpcore.ErrConflict) }
