package hcpcore

/*
#include <stdlib.h>
#include "hcp.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"strings"
	"sync"
	"unsafe"
)

// Router is the priority router of workloads onto devices (hcpcore::router; its rules are
// docs/router.md). It is safe to use from many goroutines at once: every call on the Rust router
// is atomic, and the read lock here only keeps Close from freeing it mid-call. Close it when done.
//
// Bulk calls (SubmitBatch, DispatchBatch, CompleteBatch) move whole slices per cgo crossing;
// a per-workload call costs one crossing (~0.1–0.5 µs) each.
type Router struct {
	mu  sync.RWMutex
	ptr *C.hcp_router_t
}

// SubmitOptions are a submission's optional fields; nil takes the workload type's default.
type SubmitOptions struct {
	Priority        *int64   // 1 (highest) … 10 (lowest)
	GPUs            *int64   // GPUs wanted
	GPUMemoryGB     *float64 // memory per GPU, GB
	Site            string   // preferred site; "" for none
	LatencyBoundMS  *float64 // longest acceptable wait, ms
	DeadlineSeconds *float64 // dispatch deadline after submission, s
}

// SubmitColumns are the per-request columns of SubmitBatchColumns. A nil column gives every
// request the workload type's value; a non-nil one has one entry per request.
type SubmitColumns struct {
	Priorities      []int64   // 1 (highest) … 10 (lowest)
	GPUMemoryGB     []float64 // memory per GPU, GB
	Sites           []string  // preferred sites; "" for none
	LatencyBoundMS  []float64 // longest acceptable wait, ms; NaN for the type's
	DeadlineSeconds []float64 // dispatch deadline after submission, s; NaN for the type's
}

// Submission is what TrySubmit reports: every submission takes an id, accepted or not.
type Submission struct {
	WorkloadID uint64 `json:"workload_id"`
	State      string `json:"state"`            // "queued" when accepted, "rejected" otherwise
	Reason     string `json:"reason,omitempty"` // why it was rejected; "" when accepted
}

// CustomerConfig is a customer's fair-share weight (1 … 1,000,000) and quotas; a nil quota is
// no limit.
//
// In a RouterConfig, Weight 0 takes the default weight 1 (SetCustomer refuses 0).
type CustomerConfig struct {
	Weight    uint32  `json:"weight,omitempty"`
	MaxGPUs   *uint32 `json:"max_gpus,omitempty"`   // most devices its active work may hold
	MaxQueued *uint32 `json:"max_queued,omitempty"` // most workloads it may have waiting
}

// CustomerInfo is a customer's weight and quotas with its live counts.
type CustomerInfo struct {
	CustomerID string  `json:"customer_id"`
	Weight     uint32  `json:"weight"`
	MaxGPUs    *uint32 `json:"max_gpus"`
	MaxQueued  *uint32 `json:"max_queued"`
	Queued     uint32  `json:"queued"`    // workloads waiting now
	Active     uint32  `json:"active"`    // workloads assigned or running now
	GPUsHeld   uint32  `json:"gpus_held"` // devices its active work holds
	Submitted  uint64  `json:"submitted"` // workloads it submitted, accepted or rejected
}

// Int64 returns a pointer to v (for SubmitOptions).
func Int64(v int64) *int64 { return &v }

// Uint32 returns a pointer to v (for CustomerConfig).
func Uint32(v uint32) *uint32 { return &v }

// Assignment is one placement decision.
type Assignment struct {
	WorkloadID           uint64   `json:"workload_id"`
	DeviceID             string   `json:"device_id"`
	DeviceIDs            []string `json:"device_ids"`
	Priority             int      `json:"priority"`
	WaitSeconds          float64  `json:"wait_seconds"`
	CurtailedDeviceIDs   []string `json:"curtailed_device_ids"`
	PreemptedWorkloadIDs []uint64 `json:"preempted_workload_ids"`
}

// Assignments are the columns of one DispatchBatch.
type Assignments struct {
	WorkloadIDs          []uint64
	DeviceIDs            []string
	CurtailedDeviceIDs   []string // over the whole batch
	PreemptedWorkloadIDs []uint64 // over the whole batch
}

// WorkloadInfo is what one workload looks like now.
type WorkloadInfo struct {
	ID                uint64   `json:"id"`
	CustomerID        string   `json:"customer_id"`
	WorkloadType      string   `json:"workload_type"`
	Priority          int      `json:"priority"`
	EffectivePriority int      `json:"effective_priority"`
	State             string   `json:"state"`
	GPUs              int      `json:"gpus"`
	GPUMemoryGB       float64  `json:"gpu_memory_gb"`
	DeviceIDs         []string `json:"device_ids"`
	SubmitSeconds     float64  `json:"submit_seconds"`
	LatencyBoundMS    *float64 `json:"latency_bound_ms"`
	DeadlineSeconds   *float64 `json:"deadline_seconds"`
	Preemptions       uint32   `json:"preemptions"`      // times it was preempted (queued again each time)
	Reason            string   `json:"reason,omitempty"` // why it was rejected or failed by the router; "" otherwise
}

// DeviceInfo is the registry view of one device.
type DeviceInfo struct {
	DeviceID        string  `json:"device_id"`
	Kind            string  `json:"kind"`
	Model           string  `json:"model"`
	Site            string  `json:"site"`
	GPUMemoryGB     float64 `json:"gpu_memory_gb"`
	FreeGPUMemoryGB float64 `json:"free_gpu_memory_gb"`
	Workloads       int     `json:"workloads"`
	Status          string  `json:"status"`
}

// StateCounts are counts by state; Submitted equals the sum of the seven that follow it.
type StateCounts struct {
	Submitted   uint64 `json:"submitted"`
	Queued      uint64 `json:"queued"`
	Assigned    uint64 `json:"assigned"`
	Running     uint64 `json:"running"`
	Completed   uint64 `json:"completed"`
	Failed      uint64 `json:"failed"`
	Cancelled   uint64 `json:"cancelled"`
	Rejected    uint64 `json:"rejected"`
	Preemptions uint64 `json:"preemptions"`
}

// NewRouter opens a router (the zero RouterConfig for defaults), e.g.
// NewRouter(RouterConfig{ManualClock: true}).
func NewRouter(config RouterConfig) (*Router, error) {
	text, err := marshalConfig("config", config)
	if err != nil {
		return nil, err
	}
	return NewRouterJSON(text)
}

// NewRouterJSON opens a router from RouterConfig JSON ("" for defaults; the field names of
// tests/vectors/router.json, e.g. {"manual_clock": true}).
func NewRouterJSON(configJSON string) (*Router, error) {
	var ccfg *C.char
	if configJSON != "" {
		var err error
		if ccfg, err = cString("config", configJSON); err != nil {
			return nil, err
		}
		defer freeCString(ccfg)
	}
	var e *C.hcp_error_t
	ptr := C.hcp_router_new(ccfg, &e)
	if err := takeError(e); err != nil {
		return nil, err
	}
	r := &Router{ptr: ptr}
	runtime.SetFinalizer(r, (*Router).Close)
	return r, nil
}

// Close releases the router; it waits for calls in flight. Idempotent; later calls return
// an error matching ErrClosed.
func (r *Router) Close() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.ptr != nil {
		C.hcp_router_free(r.ptr)
		r.ptr = nil
		runtime.SetFinalizer(r, nil)
	}
	return nil
}

// use runs f with the live handle under the read lock, or returns ErrClosed.
func (r *Router) use(f func(p *C.hcp_router_t) error) error {
	r.mu.RLock()
	defer r.mu.RUnlock()
	if r.ptr == nil {
		return closedError("router")
	}
	err := f(r.ptr)
	runtime.KeepAlive(r)
	return err
}

// cStrings converts several strings, freeing all of them with the returned function.
func cStrings(fields []string, values ...string) ([]*C.char, func(), error) {
	out := make([]*C.char, 0, len(values))
	free := func() {
		for _, p := range out {
			freeCString(p)
		}
	}
	for i, v := range values {
		p, err := cString(fields[i], v)
		if err != nil {
			free()
			return nil, func() {}, err
		}
		out = append(out, p)
	}
	return out, free, nil
}

// AddDevice registers a device: kind "gpu" or "asic", model a catalog name ("H100_SXM",
// "S21", …); gpuMemoryGB 0 takes the model's memory.
func (r *Router) AddDevice(deviceID, kind, model, site string, gpuMemoryGB float64) error {
	s, free, err := cStrings([]string{"device_id", "kind", "model", "site"}, deviceID, kind, model, site)
	if err != nil {
		return err
	}
	defer free()
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_add_device(p, s[0], s[1], s[2], s[3], C.bool(gpuMemoryGB != 0), C.double(gpuMemoryGB), &e)
		return takeError(e)
	})
}

// submitOpts converts opts for C; the returned function frees what it allocated.
func submitOpts(opts SubmitOptions) (C.hcp_submit_opts_t, func(), error) {
	var co C.hcp_submit_opts_t
	if opts.Priority != nil {
		co.has_priority, co.priority = true, C.int64_t(*opts.Priority)
	}
	if opts.GPUs != nil {
		co.has_gpus, co.gpus = true, C.int64_t(*opts.GPUs)
	}
	co.has_gpu_memory_gb, co.gpu_memory_gb = optional(opts.GPUMemoryGB)
	co.has_latency_bound_ms, co.latency_bound_ms = optional(opts.LatencyBoundMS)
	co.has_deadline_seconds, co.deadline_seconds = optional(opts.DeadlineSeconds)
	if opts.Site == "" {
		return co, func() {}, nil
	}
	site, err := cString("site", opts.Site)
	if err != nil {
		return co, func() {}, err
	}
	co.site = site
	return co, func() { freeCString(site) }, nil
}

// Submit submits a workload and returns its id. A rejected submission is an error (it still
// took an id, named at the end of the message; TrySubmit returns it).
func (r *Router) Submit(customerID, workloadType string, opts SubmitOptions) (uint64, error) {
	s, free, err := cStrings([]string{"customer_id", "workload_type"}, customerID, workloadType)
	if err != nil {
		return 0, err
	}
	defer free()
	co, freeOpts, err := submitOpts(opts)
	if err != nil {
		return 0, err
	}
	defer freeOpts()
	var id uint64
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		id = uint64(C.hcp_router_submit(p, s[0], s[1], &co, &e))
		return takeError(e)
	})
	return id, err
}

// TrySubmit submits a workload and reports its id whether accepted or not (State "queued", or
// "rejected" with the Reason). Unlike Submit it returns no error for the request's content;
// the error is for unusable arguments (a NUL byte in a string) or a closed router.
func (r *Router) TrySubmit(customerID, workloadType string, opts SubmitOptions) (Submission, error) {
	var out Submission
	s, free, err := cStrings([]string{"customer_id", "workload_type"}, customerID, workloadType)
	if err != nil {
		return out, err
	}
	defer free()
	co, freeOpts, err := submitOpts(opts)
	if err != nil {
		return out, err
	}
	defer freeOpts()
	var text string
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_try_submit(p, s[0], s[1], &co, &e))
		return takeError(e)
	})
	if err != nil {
		return out, err
	}
	if err := json.Unmarshal([]byte(text), &out); err != nil {
		return out, &Error{kind: KindInternal, message: "try_submit: " + err.Error()}
	}
	return out, nil
}

// SubmitBatch submits len(priorities) workloads of one customer and type in one call (or n of
// them with the type's priority when priorities is nil and n > 0); gpuMemoryGB is nil or has one
// entry per workload. Returns the ids, -1 where a request was rejected. SubmitBatchColumns takes
// sites, latency bounds and deadlines too.
func (r *Router) SubmitBatch(customerID, workloadType string, n int, priorities []int64, gpuMemoryGB []float64) ([]int64, error) {
	if priorities != nil {
		n = len(priorities)
	}
	return r.SubmitBatchColumns(customerID, workloadType, n, SubmitColumns{Priorities: priorities, GPUMemoryGB: gpuMemoryGB})
}

// SubmitBatchColumns submits n workloads of one customer and type in one call, with optional
// per-request columns (each non-nil column must have n entries). Returns the ids, -1 where a
// request was rejected (see Counts().Rejected; TrySubmit reports each rejection's reason).
func (r *Router) SubmitBatchColumns(customerID, workloadType string, n int, cols SubmitColumns) ([]int64, error) {
	if err := checkCount("n", n, MaxBatch); err != nil {
		return nil, err
	}
	for _, c := range []struct {
		field string
		len   int
		set   bool
	}{
		{"priorities", len(cols.Priorities), cols.Priorities != nil},
		{"gpu_memory_gb", len(cols.GPUMemoryGB), cols.GPUMemoryGB != nil},
		{"sites", len(cols.Sites), cols.Sites != nil},
		{"latency_bound_ms", len(cols.LatencyBoundMS), cols.LatencyBoundMS != nil},
		{"deadline_seconds", len(cols.DeadlineSeconds), cols.DeadlineSeconds != nil},
	} {
		if c.set && c.len != n {
			return nil, invalidInput(c.field, "must have one entry per workload")
		}
	}
	s, free, err := cStrings([]string{"customer_id", "workload_type"}, customerID, workloadType)
	if err != nil {
		return nil, err
	}
	defer free()
	ids := make([]int64, n)
	if n == 0 {
		return ids, nil
	}
	// The site names travel as one byte buffer and one length per request.
	var siteBytes []byte
	var siteLens []C.size_t
	if cols.Sites != nil {
		siteLens = make([]C.size_t, n)
		for i, site := range cols.Sites {
			siteBytes = append(siteBytes, site...)
			siteLens[i] = C.size_t(len(site))
		}
	}
	var pin runtime.Pinner
	defer pin.Unpin()
	var cc C.hcp_submit_columns_t
	if cols.Priorities != nil {
		pin.Pin(&cols.Priorities[0])
		cc.priorities = (*C.int64_t)(unsafe.Pointer(&cols.Priorities[0]))
	}
	if cols.GPUMemoryGB != nil {
		pin.Pin(&cols.GPUMemoryGB[0])
		cc.gpu_memory_gb = ptr(cols.GPUMemoryGB)
	}
	if cols.LatencyBoundMS != nil {
		pin.Pin(&cols.LatencyBoundMS[0])
		cc.latency_bound_ms = ptr(cols.LatencyBoundMS)
	}
	if cols.DeadlineSeconds != nil {
		pin.Pin(&cols.DeadlineSeconds[0])
		cc.deadline_seconds = ptr(cols.DeadlineSeconds)
	}
	if siteLens != nil {
		pin.Pin(&siteLens[0])
		cc.site_lens = &siteLens[0]
		if len(siteBytes) > 0 {
			pin.Pin(&siteBytes[0])
			cc.sites = (*C.uint8_t)(unsafe.Pointer(&siteBytes[0]))
			cc.sites_len = C.size_t(len(siteBytes))
		}
	}
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_submit_batch(p, s[0], s[1], &cc, C.size_t(n), (*C.int64_t)(unsafe.Pointer(&ids[0])), &e)
		return takeError(e)
	})
	return ids, err
}

// Dispatch places the next workload; (nil, nil) when nothing waiting can be placed now.
func (r *Router) Dispatch() (*Assignment, error) {
	var text string
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_dispatch(p, &e))
		return takeError(e)
	})
	if err != nil || text == "" {
		return nil, err
	}
	var a Assignment
	if err := json.Unmarshal([]byte(text), &a); err != nil {
		return nil, &Error{kind: KindInternal, message: "dispatch: " + err.Error()}
	}
	return &a, nil
}

// DispatchBatch places up to max workloads in one call.
func (r *Router) DispatchBatch(max int) (Assignments, error) {
	var out Assignments
	if err := checkCount("max", max, MaxBatch); err != nil {
		return out, err
	}
	if max == 0 {
		return out, nil
	}
	ids := make([]uint64, max)
	var names, extra string
	var n int
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		var cnames, cextra *C.char
		n = int(C.hcp_router_dispatch_batch(p, C.size_t(max), (*C.uint64_t)(unsafe.Pointer(&ids[0])), &cnames, &cextra, &e))
		names, extra = takeString(cnames), takeString(cextra)
		return takeError(e)
	})
	if err != nil {
		return out, err
	}
	out.WorkloadIDs = ids[:n]
	if n > 0 {
		out.DeviceIDs = strings.Split(names, "\n")
	}
	if extra != "" {
		var x struct {
			Curtailed []string `json:"curtailed_device_ids"`
			Preempted []uint64 `json:"preempted_workload_ids"`
		}
		if err := json.Unmarshal([]byte(extra), &x); err != nil {
			return out, &Error{kind: KindInternal, message: "dispatch_batch: " + err.Error()}
		}
		out.CurtailedDeviceIDs, out.PreemptedWorkloadIDs = x.Curtailed, x.Preempted
	}
	return out, nil
}

func (r *Router) transition(id uint64, op C.int32_t, customerID []string) error {
	var cc *C.char
	if len(customerID) > 0 {
		var err error
		if cc, err = cString("customer_id", customerID[0]); err != nil {
			return err
		}
		defer freeCString(cc)
	}
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_transition(p, C.uint64_t(id), op, cc, &e)
		return takeError(e)
	})
}

// Start marks an assigned workload running. An optional customer id scopes the call: another
// customer's workload is ErrNotFound.
func (r *Router) Start(id uint64, customerID ...string) error {
	return r.transition(id, C.HCP_ROUTER_START, customerID)
}

// Complete completes an assigned or running workload and frees its devices.
func (r *Router) Complete(id uint64, customerID ...string) error {
	return r.transition(id, C.HCP_ROUTER_COMPLETE, customerID)
}

// Fail marks a workload failed and frees its devices.
func (r *Router) Fail(id uint64, customerID ...string) error {
	return r.transition(id, C.HCP_ROUTER_FAIL, customerID)
}

// Cancel cancels a queued, assigned or running workload.
func (r *Router) Cancel(id uint64, customerID ...string) error {
	return r.transition(id, C.HCP_ROUTER_CANCEL, customerID)
}

// Preempt takes a running or assigned workload off its devices and queues it again.
func (r *Router) Preempt(id uint64) error { return r.transition(id, C.HCP_ROUTER_PREEMPT, nil) }

// CompleteBatch completes many workloads in one call; ok[i] says whether ids[i] completed.
func (r *Router) CompleteBatch(ids []uint64) (ok []bool, err error) {
	if err := checkCount("ids", len(ids), MaxBatch); err != nil {
		return nil, err
	}
	ok = make([]bool, len(ids))
	if len(ids) == 0 {
		return ok, nil
	}
	flags := make([]uint8, len(ids))
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_complete_batch(p, (*C.uint64_t)(unsafe.Pointer(&ids[0])), C.size_t(len(ids)), (*C.uint8_t)(unsafe.Pointer(&flags[0])), &e)
		return takeError(e)
	})
	runtime.KeepAlive(ids)
	for i, f := range flags {
		ok[i] = f == 1
	}
	return ok, err
}

// Workload returns what a workload looks like now (an optional customer id scopes it).
func (r *Router) Workload(id uint64, customerID ...string) (WorkloadInfo, error) {
	var info WorkloadInfo
	var cc *C.char
	if len(customerID) > 0 {
		var err error
		if cc, err = cString("customer_id", customerID[0]); err != nil {
			return info, err
		}
		defer freeCString(cc)
	}
	var text string
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_workload_json(p, C.uint64_t(id), cc, &e))
		return takeError(e)
	})
	if err != nil {
		return info, err
	}
	if err := json.Unmarshal([]byte(text), &info); err != nil {
		return info, &Error{kind: KindInternal, message: "workload: " + err.Error()}
	}
	return info, nil
}

// Counts returns counts by state.
func (r *Router) Counts() (StateCounts, error) {
	var c C.hcp_state_counts_t
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_counts(p, &c, &e)
		return takeError(e)
	})
	return StateCounts{
		Submitted: uint64(c.submitted), Queued: uint64(c.queued), Assigned: uint64(c.assigned),
		Running: uint64(c.running), Completed: uint64(c.completed), Failed: uint64(c.failed),
		Cancelled: uint64(c.cancelled), Rejected: uint64(c.rejected), Preemptions: uint64(c.preemptions),
	}, err
}

// QueueDepths returns the waiting workloads per priority (index 0 = priority 1).
func (r *Router) QueueDepths() ([10]uint64, error) {
	var d [10]uint64
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_queue_depths(p, (*C.uint64_t)(unsafe.Pointer(&d[0])), &e)
		return takeError(e)
	})
	return d, err
}

// MetricsText returns the Prometheus text exposition.
func (r *Router) MetricsText() (string, error) {
	var text string
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_metrics_text(p, &e))
		return takeError(e)
	})
	return text, err
}

// Device returns the registry view of a device.
func (r *Router) Device(deviceID string) (DeviceInfo, error) {
	var d DeviceInfo
	cid, err := cString("device_id", deviceID)
	if err != nil {
		return d, err
	}
	defer freeCString(cid)
	var text string
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_device_json(p, cid, &e))
		return takeError(e)
	})
	if err != nil {
		return d, err
	}
	if err := json.Unmarshal([]byte(text), &d); err != nil {
		return d, &Error{kind: KindInternal, message: "device: " + err.Error()}
	}
	return d, nil
}

// RemoveDevice removes a device: the work on it is preempted (queued again at its place, see
// WorkloadInfo.Preemptions) and the device forgotten. Returns the ids preempted off it.
func (r *Router) RemoveDevice(deviceID string) ([]uint64, error) {
	cid, err := cString("device_id", deviceID)
	if err != nil {
		return nil, err
	}
	defer freeCString(cid)
	var text string
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_remove_device(p, cid, &e))
		return takeError(e)
	})
	if err != nil {
		return nil, err
	}
	ids := []uint64{}
	if err := json.Unmarshal([]byte(text), &ids); err != nil {
		return nil, &Error{kind: KindInternal, message: "remove_device: " + err.Error()}
	}
	return ids, nil
}

// SetCustomer sets a customer's weight and quotas now (all of them: a nil quota is no limit).
// Work already admitted stays; a lower MaxGPUs makes new work wait, a lower MaxQueued refuses
// new submissions.
func (r *Router) SetCustomer(customerID string, cfg CustomerConfig) error {
	cc, err := cString("customer_id", customerID)
	if err != nil {
		return err
	}
	defer freeCString(cc)
	c := C.hcp_customer_config_t{weight: C.uint32_t(cfg.Weight)}
	if cfg.MaxGPUs != nil {
		c.has_max_gpus, c.max_gpus = true, C.uint32_t(*cfg.MaxGPUs)
	}
	if cfg.MaxQueued != nil {
		c.has_max_queued, c.max_queued = true, C.uint32_t(*cfg.MaxQueued)
	}
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_set_customer(p, cc, &c, &e)
		return takeError(e)
	})
}

// Customer returns a customer's weight and quotas with its live counts (a customer the router
// has not seen reads as its configured or default values with zero counts).
func (r *Router) Customer(customerID string) (CustomerInfo, error) {
	var info CustomerInfo
	err := r.customerJSON(customerID, "customer", func(p *C.hcp_router_t, cc *C.char, e **C.hcp_error_t) *C.char {
		return C.hcp_router_customer_json(p, cc, e)
	}, &info)
	return info, err
}

// CustomerWorkloads returns every workload of a customer (accepted and rejected), in id order.
func (r *Router) CustomerWorkloads(customerID string) ([]WorkloadInfo, error) {
	out := []WorkloadInfo{}
	err := r.customerJSON(customerID, "customer_workloads", func(p *C.hcp_router_t, cc *C.char, e **C.hcp_error_t) *C.char {
		return C.hcp_router_customer_workloads_json(p, cc, e)
	}, &out)
	return out, err
}

// customerJSON runs a call that takes a customer id and returns JSON, decoding it into out.
func (r *Router) customerJSON(customerID, what string, call func(*C.hcp_router_t, *C.char, **C.hcp_error_t) *C.char, out any) error {
	cc, err := cString("customer_id", customerID)
	if err != nil {
		return err
	}
	defer freeCString(cc)
	var text string
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(call(p, cc, &e))
		return takeError(e)
	})
	if err != nil {
		return err
	}
	if err := json.Unmarshal([]byte(text), out); err != nil {
		return &Error{kind: KindInternal, message: what + ": " + err.Error()}
	}
	return nil
}

// NowSeconds reads the router clock: seconds since the router was made, or the manual clock.
func (r *Router) NowSeconds() (float64, error) {
	var s float64
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		s = float64(C.hcp_router_now_seconds(p, &e))
		return takeError(e)
	})
	return s, err
}

// SetDeviceAvailable takes a device out of service (false) or back in (true).
func (r *Router) SetDeviceAvailable(deviceID string, available bool) error {
	cid, err := cString("device_id", deviceID)
	if err != nil {
		return err
	}
	defer freeCString(cid)
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_set_device_available(p, cid, C.bool(available), &e)
		return takeError(e)
	})
}

// SetSitePowerCapKW sets a site's power cap in kW; nil lifts it.
func (r *Router) SetSitePowerCapKW(site string, capKW *float64) error {
	cs, err := cString("site", site)
	if err != nil {
		return err
	}
	defer freeCString(cs)
	has, v := optional(capKW)
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_set_site_power_cap_kw(p, cs, has, v, &e)
		return takeError(e)
	})
}

// SiteLoadKW returns a site's estimated device draw, kW.
func (r *Router) SiteLoadKW(site string) (float64, error) {
	cs, err := cString("site", site)
	if err != nil {
		return 0, err
	}
	defer freeCString(cs)
	var kw float64
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		kw = float64(C.hcp_router_site_load_kw(p, cs, &e))
		return takeError(e)
	})
	return kw, err
}

// ResumeMiners wakes curtailed miners at a site while its cap allows; returns their ids.
func (r *Router) ResumeMiners(site string) ([]string, error) {
	cs, err := cString("site", site)
	if err != nil {
		return nil, err
	}
	defer freeCString(cs)
	var text string
	err = r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		text = takeString(C.hcp_router_resume_miners(p, cs, &e))
		return takeError(e)
	})
	if err != nil || text == "" {
		return []string{}, err
	}
	return strings.Split(text, "\n"), nil
}

// SetMarket sets the market that prices miners' power (validated).
func (r *Router) SetMarket(m Market) error {
	cm := m.c()
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_set_market(p, &cm, &e)
		return takeError(e)
	})
}

// AdvanceTime moves the manual clock forward (RouterConfig{ManualClock: true}).
func (r *Router) AdvanceTime(seconds float64) error {
	return r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		C.hcp_router_advance_time(p, C.double(seconds), &e)
		return takeError(e)
	})
}

// Age runs an aging sweep now; returns how many workloads climbed a level.
func (r *Router) Age() (int, error) {
	var n int
	err := r.use(func(p *C.hcp_router_t) error {
		var e *C.hcp_error_t
		n = int(C.hcp_router_age(p, &e))
		return takeError(e)
	})
	return n, err
}
