package main

// handlers_workloads.go owns the workload endpoints: submit, list, read, cancel and the queue
// depth. The router decides and validates (types, priorities, requirements, quotas); a customer
// key reaches only its own customer's workloads, through the router's customer-scoped calls.

import (
	"errors"
	"math"
	"net/http"
	"sort"
	"strconv"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// submitRequest is POST /api/v1/workloads' body.
type submitRequest struct {
	CustomerID   string `json:"customer_id"`
	WorkloadType string `json:"workload_type"`
	Priority     *int64 `json:"priority"`
	Requirements struct {
		GPUs            *int64   `json:"gpus"`
		GPUMemoryGB     *float64 `json:"gpu_memory_gb"`
		Site            string   `json:"site"`
		LatencyBoundMS  *float64 `json:"latency_bound_ms"`
		DeadlineSeconds *float64 `json:"deadline_seconds"`
		DurationSeconds *float64 `json:"duration_seconds"` // how long the simulated site runs it
	} `json:"requirements"`
}

// maxDurationSeconds bounds a simulated run (30 days).
const maxDurationSeconds = 30 * 86400

// workloadView is a workload as the API shows it: the router's view and the simulated run.
type workloadView struct {
	hcpcore.WorkloadInfo
	DurationSeconds float64 `json:"duration_seconds,omitempty"` // run time once started
	StartedAt       string  `json:"started_at,omitempty"`
	EndsAt          string  `json:"ends_at,omitempty"`
}

func (s *Service) viewLocked(info hcpcore.WorkloadInfo) workloadView {
	v := workloadView{WorkloadInfo: info}
	if d, ok := s.durations[info.ID]; ok {
		v.DurationSeconds = d.Seconds()
	}
	if r := s.runs[info.ID]; r != nil {
		v.StartedAt = r.startedAt.UTC().Format(time.RFC3339Nano)
		v.EndsAt = r.endsAt.UTC().Format(time.RFC3339Nano)
		v.DurationSeconds = r.endsAt.Sub(r.startedAt).Seconds()
	}
	if v.DeviceIDs == nil {
		v.DeviceIDs = []string{}
	}
	return v
}

func (s *Service) submitWorkload(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req submitRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	customer, err := c.customerScope(req.CustomerID, true)
	if err != nil {
		return err
	}
	if req.WorkloadType == "" {
		return badRequest("workload_type: required (ai_inference_realtime, ai_inference_batch, model_training, bitcoin_mining)")
	}
	duration := s.cfg.DefaultDuration
	if d := req.Requirements.DurationSeconds; d != nil {
		if !(*d > 0 && *d <= maxDurationSeconds) || math.IsNaN(*d) {
			return badRequest("requirements.duration_seconds: must be in (0, %d], got %g", maxDurationSeconds, *d)
		}
		duration = time.Duration(*d * float64(time.Second))
	}
	opts := hcpcore.SubmitOptions{
		Priority: req.Priority, GPUs: req.Requirements.GPUs, GPUMemoryGB: req.Requirements.GPUMemoryGB,
		Site: req.Requirements.Site, LatencyBoundMS: req.Requirements.LatencyBoundMS, DeadlineSeconds: req.Requirements.DeadlineSeconds,
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	id, err := s.router.Submit(customer, req.WorkloadType, opts)
	if err != nil {
		if errors.Is(err, hcpcore.ErrNotFound) { // an unknown site is a bad request, not a missing resource
			var he *hcpcore.Error
			errors.As(err, &he)
			return badRequest("%s", he.Message())
		}
		return err
	}
	s.customers[customer] = true
	s.durations[id] = duration
	s.dispatchLocked(now)
	info, err := s.router.Workload(id)
	if err != nil {
		return err
	}
	view := s.viewLocked(info)
	s.noteWorkloadLocked(info, now)
	w.Header().Set("Location", "/api/v1/workloads/"+strconv.FormatUint(id, 10))
	writeJSON(w, http.StatusCreated, view)
	return nil
}

// workloadID reads the {id} path segment.
func workloadID(r *http.Request) (uint64, error) {
	id, err := strconv.ParseUint(r.PathValue("id"), 10, 64)
	if err != nil || id == 0 {
		return 0, badRequest("id: must be a workload id (a positive integer), got %q", r.PathValue("id"))
	}
	return id, nil
}

// scope is the customer argument of the router's scoped calls: the customer for a customer key,
// none (every customer) for an operator.
func scope(c *Caller) []string {
	if c.Role == RoleCustomer {
		return []string{c.CustomerID}
	}
	return nil
}

func (s *Service) getWorkload(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := workloadID(r)
	if err != nil {
		return err
	}
	info, err := s.router.Workload(id, scope(c)...)
	if err != nil {
		return err
	}
	s.mu.Lock()
	view := s.viewLocked(info)
	s.mu.Unlock()
	writeJSON(w, http.StatusOK, view)
	return nil
}

func (s *Service) listWorkloads(w http.ResponseWriter, r *http.Request, c *Caller) error {
	q := r.URL.Query()
	var customers []string
	if c.Role == RoleCustomer || q.Get("customer_id") != "" {
		customer, err := c.customerScope(q.Get("customer_id"), false)
		if err != nil {
			return err
		}
		customers = []string{customer}
	} else {
		customers = s.knownCustomers()
	}
	state := q.Get("state")
	if state != "" && !validState[state] {
		return badRequest("state: must be one of queued, assigned, running, completed, failed, cancelled, rejected, got %q", state)
	}
	out := []workloadView{}
	for _, cust := range customers {
		infos, err := s.router.CustomerWorkloads(cust)
		if err != nil {
			return err
		}
		s.mu.Lock()
		for _, info := range infos {
			if state == "" || info.State == state {
				out = append(out, s.viewLocked(info))
			}
		}
		s.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	writeJSON(w, http.StatusOK, map[string]any{"workloads": out, "count": len(out)})
	return nil
}

var validState = map[string]bool{"queued": true, "assigned": true, "running": true, "completed": true, "failed": true, "cancelled": true, "rejected": true}

func (s *Service) cancelWorkload(w http.ResponseWriter, r *http.Request, c *Caller) error {
	id, err := workloadID(r)
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	now := s.now()
	if err := s.router.Cancel(id, scope(c)...); err != nil {
		return err
	}
	info, err := s.router.Workload(id)
	if err != nil {
		return err
	}
	view := s.viewLocked(info)
	s.noteWorkloadLocked(info, now) // meters the run up to now and forgets it
	s.dispatchLocked(now)           // the freed devices take waiting work
	writeJSON(w, http.StatusOK, view)
	return nil
}

// depthView is the queue depth by priority ("1" … "10") and in total.
func depthView(d [10]uint64) map[string]any {
	by := map[string]uint64{}
	var total uint64
	for i, n := range d {
		by[strconv.Itoa(i+1)] = n
		total += n
	}
	return map[string]any{"total": total, "by_priority": by}
}

func (s *Service) queueDepth(w http.ResponseWriter, r *http.Request, c *Caller) error {
	d, err := s.router.QueueDepths()
	if err != nil {
		return err
	}
	out := depthView(d)
	if c.Role == RoleCustomer {
		info, err := s.router.Customer(c.CustomerID)
		if err != nil {
			return err
		}
		out["customer"] = info
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
