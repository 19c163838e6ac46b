package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"
)

// The router's rules reach the API unchanged: realtime work preempts training (which waits again
// and is metered up to the preemption), and realtime work that cannot start within its latency
// bound is dropped with the router's reason.
func TestPreemptionAndLatencyBound(t *testing.T) {
	ts := startService(t)
	acme, globex := ts.keys["acme"], ts.keys["globex"]
	var training []uint64
	for i := 0; i < 8; i++ {
		training = append(training, ts.submit(globex, map[string]any{"workload_type": "model_training", "requirements": map[string]any{"duration_seconds": 3600}}))
	}
	ts.step(30 * time.Second) // under the metering interval: nothing metered yet
	rt := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_realtime"})
	if rt["state"] != "running" {
		t.Fatalf("realtime on a full site: %v", rt)
	}
	var victim map[string]any
	for _, id := range training {
		w := ts.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/workloads/%d", id), globex, nil)
		if w["state"] == "queued" {
			if victim != nil {
				t.Fatalf("two victims for one realtime workload: %v and %v", victim, w)
			}
			victim = w
		}
	}
	if victim == nil || victim["preemptions"].(float64) != 1 {
		t.Fatalf("no training preempted: %v", victim)
	}
	ts.step(time.Second) // writes the victim's metered usage
	usage := ts.must(http.StatusOK, "GET", "/api/v1/billing/usage", globex, nil)["events"].([]any)
	if len(usage) != 1 {
		t.Fatalf("globex usage after the preemption: %v", usage)
	}
	ev := usage[0].(map[string]any)
	if ev["properties"].(map[string]any)["workload_id"] != victim["id"] || ev["quantity"] != "30.000" {
		t.Fatalf("victim's metered usage (one GPU for 30 s): %v", ev)
	}

	// Realtime work on every GPU cannot be preempted; one more waits past its 100 ms and is dropped.
	for _, id := range training {
		ts.do("DELETE", fmt.Sprintf("/api/v1/workloads/%d", id), globex, nil)
	}
	ts.must(http.StatusOK, "DELETE", fmt.Sprintf("/api/v1/workloads/%v", rt["id"]), acme, nil)
	for i := 0; i < 8; i++ {
		ts.submit(acme, map[string]any{"workload_type": "ai_inference_realtime", "requirements": map[string]any{"gpu_memory_gb": 80, "duration_seconds": 600}})
	}
	late := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_realtime", "requirements": map[string]any{"gpu_memory_gb": 80}})
	if late["state"] != "queued" {
		t.Fatalf("ninth realtime workload: %v", late)
	}
	ts.step(time.Second)
	got := ts.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/workloads/%v", late["id"]), acme, nil)
	if got["state"] != "failed" || got["reason"] != "latency bound passed" {
		t.Fatalf("realtime past its latency bound: %v", got)
	}
}

// Many clients submitting at once: every submission gets its own id, none is lost, and each
// customer's list holds exactly its own.
func TestConcurrentSubmissions(t *testing.T) {
	ts := startService(t)
	const clients, each = 6, 15
	var wg sync.WaitGroup
	ids := make(chan uint64, clients*each)
	errs := make(chan error, clients*each)
	for c := 0; c < clients; c++ {
		customer := []string{"acme", "globex"}[c%2]
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := 0; i < each; i++ {
				body, _ := json.Marshal(map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"gpu_memory_gb": 10, "duration_seconds": 3600}})
				req, _ := http.NewRequest("POST", ts.base+"/api/v1/workloads", bytes.NewReader(body))
				req.Header.Set("Authorization", "Bearer "+ts.keys[customer])
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					errs <- err
					continue
				}
				var w map[string]any
				err = json.NewDecoder(res.Body).Decode(&w)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusCreated || w["customer_id"] != customer {
					errs <- fmt.Errorf("submit as %s: %d %v %v", customer, res.StatusCode, err, w)
					continue
				}
				ids <- uint64(w["id"].(float64))
			}
		}()
	}
	wg.Wait()
	close(ids)
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	seen := map[uint64]bool{}
	for id := range ids {
		if seen[id] {
			t.Fatalf("id %d given twice", id)
		}
		seen[id] = true
	}
	if len(seen) != clients*each {
		t.Fatalf("%d ids for %d submissions", len(seen), clients*each)
	}
	for _, c := range []string{"acme", "globex"} {
		list := ts.must(http.StatusOK, "GET", "/api/v1/workloads", ts.keys[c], nil)
		if list["count"].(float64) != clients*each/2 {
			t.Fatalf("%s lists %v workloads, want %d", c, list["count"], clients*each/2)
		}
	}
	// Eight 80 GB GPUs hold 64 workloads of 10 GB; the rest wait.
	h := ts.must(http.StatusOK, "GET", "/health", "", nil)["workloads"].(map[string]any)
	if h["running"].(float64) != 64 || h["queued"].(float64) != clients*each-64 {
		t.Fatalf("counts: %v", h)
	}
	depth := ts.must(http.StatusOK, "GET", "/api/v1/queue/depth", ts.keys["operator"], nil)
	if depth["total"].(float64) != clients*each-64 {
		t.Fatalf("queue depth: %v", depth)
	}
}
