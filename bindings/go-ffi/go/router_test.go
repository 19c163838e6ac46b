package hcpcore

import (
	"bytes"
	"errors"
	"math"
	"strings"
	"sync"
	"testing"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func testFleet(t *testing.T, n int) *Router {
	t.Helper()
	r, err := NewRouter(RouterConfig{})
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < n; i++ {
		if err := r.AddDevice("gpu-"+string(rune('a'+i)), "gpu", "H100_SXM", "austin", 80); err != nil {
			t.Fatal(err)
		}
	}
	return r
}

func TestRouterSubmitDispatchComplete(t *testing.T) {
	r := testFleet(t, 2)
	defer r.Close()
	id, err := r.Submit("acme", "ai_inference_realtime", SubmitOptions{Priority: Int64(1), GPUMemoryGB: Float64(20)})
	if err != nil {
		t.Fatal(err)
	}
	a, err := r.Dispatch()
	if err != nil || a == nil || a.WorkloadID != id || a.DeviceID != "gpu-a" {
		t.Fatalf("dispatch: %+v %v", a, err)
	}
	if err := r.Complete(id); err != nil {
		t.Fatal(err)
	}
	if a, err := r.Dispatch(); a != nil || err != nil {
		t.Fatalf("empty dispatch: %+v %v", a, err)
	}
	text, err := r.MetricsText()
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"router_workloads_queued_total", "router_queue_depth", "router_decision_duration_seconds",
		"orchestrator_allocations_total", "orchestrator_allocation_duration_seconds", "orchestrator_active_workloads"} {
		if !strings.Contains(text, name) {
			t.Errorf("metrics text lacks %s", name)
		}
	}
}

func TestRouterErrors(t *testing.T) {
	r := testFleet(t, 1)
	if _, err := r.Submit("acme", "nope", SubmitOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("unknown type: %v", err)
	}
	for _, p := range []int64{0, 11, -3} {
		if _, err := r.Submit("acme", "ai_inference_batch", SubmitOptions{Priority: Int64(p)}); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("priority %d: %v", p, err)
		}
	}
	if _, err := r.Submit("acme", "ai_inference_batch", SubmitOptions{GPUMemoryGB: Float64(-1)}); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("negative memory: %v", err)
	}
	if err := r.Complete(999); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown id: %v", err)
	}
	if err := r.SetDeviceAvailable("nope", false); !errors.Is(err, ErrNotFound) {
		t.Errorf("unknown device: %v", err)
	}
	id, _ := r.Submit("acme", "ai_inference_batch", SubmitOptions{})
	if err := r.Start(id); !errors.Is(err, ErrIllegalTransition) {
		t.Errorf("start queued: %v", err)
	}
	if err := r.Cancel(id, "globex"); !errors.Is(err, ErrNotFound) {
		t.Errorf("isolation: %v", err)
	}
	if _, err := NewRouterJSON("{not json"); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("bad config: %v", err)
	}
	r.Close()
	r.Close()
	if _, err := r.Dispatch(); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
	if _, err := r.Submit("acme", "ai_inference_batch", SubmitOptions{}); !errors.Is(err, ErrClosed) {
		t.Errorf("after close: %v", err)
	}
}

func TestRouterBatchAndGoroutines(t *testing.T) {
	r := testFleet(t, 8)
	defer r.Close()
	const producers, per = 4, 2000
	var wg sync.WaitGroup
	for p := 0; p < producers; p++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			prio := make([]int64, per)
			mem := make([]float64, per)
			for i := range prio {
				prio[i], mem[i] = int64(1+i%10), 1
			}
			ids, err := r.SubmitBatch("acme", "ai_inference_batch", 0, prio, mem)
			if err != nil {
				t.Error(err)
			}
			for _, id := range ids {
				if id <= 0 {
					t.Error("rejected")
				}
			}
		}()
	}
	seen := make(chan []uint64, 2)
	for d := 0; d < 2; d++ {
		go func() {
			var got []uint64
			for {
				out, err := r.DispatchBatch(64)
				if err != nil {
					t.Error(err)
					break
				}
				if len(out.WorkloadIDs) == 0 {
					c, _ := r.Counts()
					if c.Submitted == producers*per && c.Queued == 0 {
						break
					}
					continue
				}
				if len(out.DeviceIDs) != len(out.WorkloadIDs) {
					t.Error("device ids do not match")
				}
				if _, err := r.CompleteBatch(out.WorkloadIDs); err != nil {
					t.Error(err)
				}
				got = append(got, out.WorkloadIDs...)
			}
			seen <- got
		}()
	}
	wg.Wait()
	all := map[uint64]bool{}
	for d := 0; d < 2; d++ {
		for _, id := range <-seen {
			if all[id] {
				t.Fatalf("workload %d dispatched twice", id)
			}
			all[id] = true
		}
	}
	c, _ := r.Counts()
	if len(all) != producers*per || c.Completed != producers*per {
		t.Fatalf("dispatched %d, counts %+v", len(all), c)
	}
}

func TestRouterTrySubmitAndCustomers(t *testing.T) {
	r, err := NewRouter(RouterConfig{ManualClock: true, Customers: map[string]CustomerConfig{"a": {MaxQueued: Uint32(1)}}})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.AddDevice("g0", "gpu", "H100_SXM", "austin", 80); err != nil {
		t.Fatal(err)
	}
	ok, err := r.TrySubmit("a", "ai_inference_batch", SubmitOptions{Site: "austin"})
	if err != nil || ok != (Submission{WorkloadID: 1, State: "queued"}) {
		t.Fatalf("accepted: %+v %v", ok, err)
	}
	no, err := r.TrySubmit("a", "ai_inference_batch", SubmitOptions{})
	if err != nil || no.WorkloadID != 2 || no.State != "rejected" || !strings.HasPrefix(no.Reason, "max_queued") {
		t.Fatalf("rejected: %+v %v", no, err)
	}
	if w, err := r.Workload(2); err != nil || w.Reason != no.Reason || w.State != "rejected" {
		t.Fatalf("workload 2: %+v %v", w, err)
	}
	if _, err := r.Submit("a", "ai_inference_batch", SubmitOptions{}); !errors.Is(err, ErrCapacityExceeded) || !strings.Contains(err.Error(), "workload 3 rejected") {
		t.Fatalf("submit past max_queued: %v", err)
	}
	if _, err := r.TrySubmit("a\x00b", "ai_inference_batch", SubmitOptions{}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("NUL in customer id: %v", err)
	}
	if _, err := r.Submit("a", "ai_inference_batch", SubmitOptions{Site: "nowhere"}); !errors.Is(err, ErrNotFound) {
		t.Fatalf("unknown site: %v", err)
	}
	ws, err := r.CustomerWorkloads("a")
	if err != nil || len(ws) != 4 || ws[0].ID != 1 || ws[3].ID != 4 {
		t.Fatalf("customer workloads: %+v %v", ws, err)
	}
	if ws, err := r.CustomerWorkloads("nobody"); err != nil || len(ws) != 0 {
		t.Fatalf("unknown customer: %+v %v", ws, err)
	}
	if err := r.SetCustomer("a", CustomerConfig{Weight: 4, MaxGPUs: Uint32(1), MaxQueued: Uint32(3)}); err != nil {
		t.Fatal(err)
	}
	c, err := r.Customer("a")
	if err != nil || c.Weight != 4 || c.MaxGPUs == nil || *c.MaxGPUs != 1 || *c.MaxQueued != 3 || c.Queued != 1 || c.Submitted != 4 {
		t.Fatalf("customer: %+v %v", c, err)
	}
	for _, bad := range []CustomerConfig{{Weight: 0}, {Weight: 2_000_000}} {
		if err := r.SetCustomer("a", bad); !errors.Is(err, ErrInvalidInput) {
			t.Errorf("weight %d: %v", bad.Weight, err)
		}
	}
	if _, err := r.Customer(""); !errors.Is(err, ErrInvalidInput) {
		t.Errorf("empty customer id: %v", err)
	}
}

func TestRouterRemoveDeviceAndClock(t *testing.T) {
	r, err := NewRouter(RouterConfig{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, d := range []string{"g0", "g1"} {
		if err := r.AddDevice(d, "gpu", "H100_SXM", "austin", 80); err != nil {
			t.Fatal(err)
		}
	}
	id, _ := r.Submit("acme", "model_training", SubmitOptions{})
	if a, err := r.Dispatch(); err != nil || a.DeviceID != "g0" {
		t.Fatalf("dispatch: %+v %v", a, err)
	}
	ids, err := r.RemoveDevice("g0")
	if err != nil || len(ids) != 1 || ids[0] != id {
		t.Fatalf("remove: %v %v", ids, err)
	}
	if w, err := r.Workload(id); err != nil || w.State != "queued" || w.Preemptions != 1 || w.Reason != "" {
		t.Fatalf("requeued: %+v %v", w, err)
	}
	if a, err := r.Dispatch(); err != nil || a.DeviceID != "g1" {
		t.Fatalf("dispatch after remove: %+v %v", a, err)
	}
	if _, err := r.RemoveDevice("g0"); !errors.Is(err, ErrNotFound) {
		t.Fatalf("remove twice: %v", err)
	}
	if ids, err := r.RemoveDevice("g1"); err != nil || len(ids) != 1 {
		t.Fatalf("remove busy g1: %v %v", ids, err)
	}
	if err := r.AdvanceTime(2.5); err != nil {
		t.Fatal(err)
	}
	if s, err := r.NowSeconds(); err != nil || s != 2.5 {
		t.Fatalf("clock: %v %v", s, err)
	}
}

func TestRouterSubmitBatchColumns(t *testing.T) {
	r, err := NewRouter(RouterConfig{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := r.AddDevice("a0", "gpu", "H100_SXM", "a", 0); err != nil {
		t.Fatal(err)
	}
	if err := r.AddDevice("b0", "gpu", "H100_SXM", "b", 0); err != nil {
		t.Fatal(err)
	}
	nan := math.NaN()
	ids, err := r.SubmitBatchColumns("acme", "ai_inference_batch", 4, SubmitColumns{
		GPUMemoryGB:     []float64{1, 1, 1, 1},
		Sites:           []string{"b", "", "a", "nowhere"},
		LatencyBoundMS:  []float64{250, nan, 1000, 1},
		DeadlineSeconds: []float64{nan, 30, nan, 1},
	})
	if err != nil || len(ids) != 4 || ids[0] != 1 || ids[1] != 2 || ids[2] != 3 || ids[3] != -1 {
		t.Fatalf("ids: %v %v", ids, err)
	}
	if w, _ := r.Workload(4); w.State != "rejected" || !strings.HasPrefix(w.Reason, "site") {
		t.Fatalf("unknown site: %+v", w)
	}
	bounds := func(id uint64) [2]float64 {
		w, err := r.Workload(id)
		if err != nil {
			t.Fatal(err)
		}
		out := [2]float64{-1, -1}
		if w.LatencyBoundMS != nil {
			out[0] = *w.LatencyBoundMS
		}
		if w.DeadlineSeconds != nil {
			out[1] = *w.DeadlineSeconds
		}
		return out
	}
	if got := [3][2]float64{bounds(1), bounds(2), bounds(3)}; got != [3][2]float64{{250, -1}, {-1, 30}, {1000, -1}} {
		t.Fatalf("bounds: %v", got)
	}
	if a, err := r.Dispatch(); err != nil || a.DeviceID != "b0" {
		t.Fatalf("site preference: %+v %v", a, err)
	}
	if _, err := r.SubmitBatchColumns("acme", "ai_inference_batch", 2, SubmitColumns{Sites: []string{"a"}}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("short column: %v", err)
	}
	if _, err := r.SubmitBatchColumns("acme", "ai_inference_batch", 1, SubmitColumns{Sites: []string{"a\xff"}}); !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("invalid UTF-8 site: %v", err)
	}
	if ids, err := r.SubmitBatchColumns("acme", "ai_inference_batch", 1, SubmitColumns{LatencyBoundMS: []float64{-1}}); err != nil || ids[0] != -1 {
		t.Fatalf("bad bound: %v %v", ids, err)
	}
}
