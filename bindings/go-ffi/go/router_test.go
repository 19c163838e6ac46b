package hcp

import (
	"bytes"
	"errors"
	"strings"
	"sync"
	"testing"
)

func bytesReader(b []byte) *bytes.Reader { return bytes.NewReader(b) }

func testFleet(t *testing.T, n int) *Router {
	t.Helper()
	r, err := NewRouter("")
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
	if _, err := NewRouter("{not json"); !errors.Is(err, ErrInvalidInput) {
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
