package main

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/getkin/kin-openapi/openapi3"
	"go.yaml.in/yaml/v3"
)

func TestHealthMetricsAndOpenAPIAreServedWithoutAKey(t *testing.T) {
	ts := startService(t)
	h := ts.must(http.StatusOK, "GET", "/health", "", nil)
	if h["status"] != "ok" || h["devices"].(float64) != 12 {
		t.Fatalf("health: %v", h)
	}
	// A workload placed and a tick run, so the router's and the optimizer's series have values.
	ts.submit(ts.keys["acme"], map[string]any{"workload_type": "ai_inference_batch"})
	ts.step(time.Second)
	r := ts.do("GET", "/metrics", "", nil)
	if r.status != http.StatusOK {
		t.Fatalf("metrics: %d", r.status)
	}
	text := string(r.raw)
	for _, name := range []string{
		"orchestrator_allocations_total", "orchestrator_allocation_duration_seconds", "orchestrator_active_workloads",
		"router_workloads_queued_total", "router_queue_depth", "router_decision_duration_seconds",
		"optimizer_profitability_calculations_total", "optimizer_calculation_duration_seconds", "optimizer_current_prices",
	} {
		if !strings.Contains(text, "# TYPE "+name+" ") {
			t.Errorf("metrics: no %s family", name)
		}
	}
	for _, sample := range []string{
		`orchestrator_allocations_total{kind="gpu",result="success"} 1`,
		"orchestrator_active_workloads 1",
		`router_workloads_queued_total{priority="5"} 1`,
		`optimizer_current_prices{price="btc_usd"} `,
		`optimizer_profitability_calculations_total{kind="site_plan",result="ok"} `,
	} {
		if !strings.Contains(text, sample) {
			t.Errorf("metrics: no %q", sample)
		}
	}
	doc := ts.do("GET", "/openapi.yaml", "", nil)
	file, _ := os.ReadFile("openapi.yaml")
	if doc.status != http.StatusOK || string(doc.raw) != string(file) {
		t.Fatalf("/openapi.yaml: status %d, served document differs from openapi.yaml", doc.status)
	}
}

// The OpenAPI document and the route table describe the same API: every route is documented,
// every documented operation is served (not answered by the catch-all 404 or a 405).
func TestOpenAPIDocumentsExactlyTheRoutes(t *testing.T) {
	ts := startService(t)
	var doc struct {
		OpenAPI string                    `yaml:"openapi"`
		Paths   map[string]map[string]any `yaml:"paths"`
	}
	if err := yaml.Unmarshal(openapiYAML, &doc); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(doc.OpenAPI, "3.") {
		t.Fatalf("openapi: %q, want 3.x", doc.OpenAPI)
	}
	// The document is valid OpenAPI 3 (schemas, references, parameters).
	spec, err := openapi3.NewLoader().LoadFromData(openapiYAML)
	if err != nil {
		t.Fatal(err)
	}
	if err := spec.Validate(context.Background()); err != nil {
		t.Fatalf("openapi.yaml is not valid OpenAPI 3: %v", err)
	}
	documented := map[string]bool{}
	for path, ops := range doc.Paths {
		for method := range ops {
			switch method {
			case "get", "post", "put", "patch", "delete", "head", "options":
				documented[strings.ToUpper(method)+" "+path] = true
			}
		}
	}
	served := map[string]bool{}
	for _, rt := range ts.routes {
		served[rt.method+" "+rt.path] = true
		if !documented[rt.method+" "+rt.path] {
			t.Errorf("route %s %s is not in openapi.yaml", rt.method, rt.path)
		}
	}
	var ops []string
	for op := range documented {
		ops = append(ops, op)
		if !served[op] {
			t.Errorf("openapi.yaml documents %s, which the service does not serve", op)
		}
	}
	sort.Strings(ops)
	// Each documented operation, called over HTTP, reaches its handler.
	for _, op := range ops {
		method, path, _ := strings.Cut(op, " ")
		path = strings.ReplaceAll(path, "{id}", "1")
		if path == "/ws" {
			continue // an upgrade; TestWebSocketUpdates covers it
		}
		r := ts.do(method, path, ts.keys["admin"], nil)
		if r.status == http.StatusMethodNotAllowed || (r.status == http.StatusNotFound && strings.Contains(string(r.raw), "no route")) {
			t.Errorf("%s: not served: %d %s", op, r.status, r.raw)
		}
	}
}

func TestWorkloadLifecycle(t *testing.T) {
	ts := startService(t)
	acme := ts.keys["acme"]
	w := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", acme, map[string]any{
		"customer_id": "acme", "workload_type": "ai_inference_batch", "priority": 3,
		"requirements": map[string]any{"gpu_memory_gb": 40, "duration_seconds": 120},
	})
	id := uint64(w["id"].(float64))
	if w["state"] != "running" || w["customer_id"] != "acme" || w["priority"].(float64) != 3 || len(w["device_ids"].([]any)) != 1 {
		t.Fatalf("submitted: %v", w)
	}
	path := fmt.Sprintf("/api/v1/workloads/%d", id)
	if got := ts.must(http.StatusOK, "GET", path, acme, nil); got["state"] != "running" || got["duration_seconds"].(float64) != 120 {
		t.Fatalf("get: %v", got)
	}
	list := ts.must(http.StatusOK, "GET", "/api/v1/workloads?state=running", acme, nil)
	if list["count"].(float64) != 1 {
		t.Fatalf("list: %v", list)
	}

	// Fill the other GPUs so that the next one waits, and check the queue depth shows it.
	for i := 0; i < 7; i++ {
		ts.submit(acme, map[string]any{"workload_type": "model_training", "requirements": map[string]any{"duration_seconds": 3600}})
	}
	waiting := ts.submit(acme, map[string]any{"workload_type": "model_training"})
	if got := ts.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/workloads/%d", waiting), acme, nil); got["state"] != "queued" {
		t.Fatalf("ninth GPU workload on eight GPUs: %v", got)
	}
	depth := ts.must(http.StatusOK, "GET", "/api/v1/queue/depth", acme, nil)
	if depth["total"].(float64) != 1 || depth["by_priority"].(map[string]any)["7"].(float64) != 1 {
		t.Fatalf("queue depth: %v", depth)
	}
	if c := depth["customer"].(map[string]any); c["queued"].(float64) != 1 || c["active"].(float64) != 8 {
		t.Fatalf("queue depth, customer: %v", c)
	}

	// After its run time the first completes, is metered, and the waiting one takes its GPU.
	ts.step(121 * time.Second)
	if got := ts.must(http.StatusOK, "GET", path, acme, nil); got["state"] != "completed" {
		t.Fatalf("after its duration: %v", got)
	}
	if got := ts.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/workloads/%d", waiting), acme, nil); got["state"] != "running" {
		t.Fatalf("waiting workload after a GPU freed: %v", got)
	}
	usage := ts.must(http.StatusOK, "GET", "/api/v1/billing/usage", acme, nil)
	var metered float64
	for _, e := range usage["events"].([]any) {
		ev := e.(map[string]any)
		if ev["properties"].(map[string]any)["workload_id"].(float64) == float64(id) {
			q, _ := strconv.ParseFloat(ev["quantity"].(string), 64)
			metered += q
		}
	}
	if metered != 121 {
		t.Fatalf("metered GPU-seconds of workload %d: %v, want 121 (one GPU, 121 s): %v", id, metered, usage["events"])
	}

	// Cancel the running one; cancelling it again is a conflict.
	cancelled := ts.must(http.StatusOK, "DELETE", fmt.Sprintf("/api/v1/workloads/%d", waiting), acme, nil)
	if cancelled["state"] != "cancelled" {
		t.Fatalf("cancel: %v", cancelled)
	}
	ts.wantError(http.StatusConflict, "illegal_transition", "DELETE", fmt.Sprintf("/api/v1/workloads/%d", waiting), acme, nil)
	ts.wantError(http.StatusNotFound, "not_found", "GET", "/api/v1/workloads/999999", acme, nil)
}

// A customer key reaches only its own customer's workloads, usage and invoices.
func TestCustomersAreIsolated(t *testing.T) {
	ts := startService(t)
	acme, globex, operator := ts.keys["acme"], ts.keys["globex"], ts.keys["operator"]
	id := ts.submit(acme, map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"duration_seconds": 3600}})
	path := fmt.Sprintf("/api/v1/workloads/%d", id)

	ts.wantError(http.StatusNotFound, "not_found", "GET", path, globex, nil)
	ts.wantError(http.StatusNotFound, "not_found", "DELETE", path, globex, nil)
	if got := ts.must(http.StatusOK, "GET", path, acme, nil); got["state"] != "running" {
		t.Fatalf("globex's cancel changed acme's workload: %v", got)
	}
	if list := ts.must(http.StatusOK, "GET", "/api/v1/workloads", globex, nil); list["count"].(float64) != 0 {
		t.Fatalf("globex lists acme's work: %v", list)
	}
	ts.wantError(http.StatusForbidden, "forbidden", "GET", "/api/v1/workloads?customer_id=acme", globex, nil)
	ts.wantError(http.StatusForbidden, "forbidden", "POST", "/api/v1/workloads", globex, map[string]any{"customer_id": "acme", "workload_type": "ai_inference_batch"})
	ts.wantError(http.StatusForbidden, "forbidden", "GET", "/api/v1/billing/usage?customer_id=acme", globex, nil)
	ts.wantError(http.StatusForbidden, "forbidden", "GET", "/api/v1/billing/invoices?customer_id=acme", globex, nil)
	ts.wantError(http.StatusForbidden, "forbidden", "POST", "/api/v1/billing/estimate", globex, map[string]any{"customer_id": "acme", "usage": []any{}})

	// An operator sees and cancels anyone's work, and names the customer it acts for.
	if got := ts.must(http.StatusOK, "GET", path, operator, nil); got["customer_id"] != "acme" {
		t.Fatalf("operator get: %v", got)
	}
	if list := ts.must(http.StatusOK, "GET", "/api/v1/workloads", operator, nil); list["count"].(float64) != 1 {
		t.Fatalf("operator list: %v", list)
	}
	ts.wantError(http.StatusBadRequest, "invalid_input", "POST", "/api/v1/workloads", operator, map[string]any{"workload_type": "ai_inference_batch"})
	ts.wantError(http.StatusBadRequest, "invalid_input", "GET", "/api/v1/billing/usage", operator, nil)
	ts.must(http.StatusOK, "DELETE", path, operator, nil)
	invoices := ts.must(http.StatusOK, "GET", "/api/v1/billing/invoices", globex, nil)["customers"].([]any)
	if len(invoices) != 1 || invoices[0].(map[string]any)["customer_id"] != "globex" {
		t.Fatalf("globex's invoices: %v", invoices)
	}
}

func TestAuthentication(t *testing.T) {
	ts := startService(t)
	for _, key := range []string{"", "not-a-key", ts.keys["acme"] + "x"} {
		ts.wantError(http.StatusUnauthorized, "unauthorized", "GET", "/api/v1/workloads", key, nil)
	}
	r := ts.do("GET", "/api/v1/prices/current", "", nil)
	if r.status != http.StatusUnauthorized || !strings.HasPrefix(r.header.Get("WWW-Authenticate"), "Bearer") {
		t.Fatalf("no key: %d %v", r.status, r.header)
	}
	// A scheme other than Bearer is no key.
	req, _ := http.NewRequest("GET", ts.base+"/api/v1/workloads", nil)
	req.Header.Set("Authorization", "Basic "+ts.keys["admin"])
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("Basic scheme: %d", res.StatusCode)
	}
	for _, op := range []string{"GET /api/v1/resources", "GET /api/v1/resources/h100-sxm-0001", "GET /api/v1/capacity", "GET /api/v1/recommendations", "POST /api/v1/profitability/calculate"} {
		method, path, _ := strings.Cut(op, " ")
		ts.wantError(http.StatusForbidden, "forbidden", method, path, ts.keys["acme"], map[string]any{"model": "S21"})
		ts.must(http.StatusOK, method, path, ts.keys["operator"], map[string]any{"model": "S21"})
		ts.must(http.StatusOK, method, path, ts.keys["admin"], map[string]any{"model": "S21"})
	}
	// The shipped demo key file holds hashes, and the keys the README shows match them.
	ks, err := loadKeys("keys.example.json", 10, 20)
	if err != nil {
		t.Fatal(err)
	}
	raw, _ := os.ReadFile("keys.example.json")
	readme, _ := os.ReadFile("README.md")
	for name, want := range map[string]struct {
		role     Role
		customer string
	}{"demo-admin": {RoleAdmin, ""}, "demo-operator": {RoleOperator, ""}, "demo-acme": {RoleCustomer, "acme"}, "demo-globex": {RoleCustomer, "globex"}} {
		key := demoKey(t, string(readme), name)
		if strings.Contains(string(raw), key) {
			t.Fatalf("keys.example.json holds the plaintext key of %s", name)
		}
		c := ks.find(key)
		if c == nil || c.Name != name || c.Role != want.role || c.CustomerID != want.customer {
			t.Fatalf("README's key for %s: found %+v", name, c)
		}
	}
}

// demoKey finds the key the README documents for a demo key name (a table row "| name | role | `key` |").
func demoKey(t *testing.T, readme, name string) string {
	t.Helper()
	for _, line := range strings.Split(readme, "\n") {
		if strings.HasPrefix(line, "| "+name+" ") {
			cells := strings.Split(line, "`") // the key is the row's last code span
			if len(cells) >= 3 {
				return cells[len(cells)-2]
			}
		}
	}
	t.Fatalf("README.md documents no key for %s", name)
	return ""
}

func TestRateLimitPerKey(t *testing.T) {
	ts := startService(t)
	limited := ts.keys["limited"]
	for i := 0; i < 3; i++ {
		ts.must(http.StatusOK, "GET", "/api/v1/queue/depth", limited, nil)
	}
	r := ts.do("GET", "/api/v1/queue/depth", limited, nil)
	if r.status != http.StatusTooManyRequests || r.header.Get("Retry-After") == "" {
		t.Fatalf("fourth request in the burst: %d %v %s", r.status, r.header, r.raw)
	}
	ts.wantError(http.StatusTooManyRequests, "rate_limited", "GET", "/api/v1/workloads", limited, nil)
	// Other keys are not held back by it.
	ts.must(http.StatusOK, "GET", "/api/v1/queue/depth", ts.keys["acme"], nil)
}

// Bad requests get a 4xx with a JSON error, never a 500, and the service stays up.
func TestBadRequests(t *testing.T) {
	ts := startService(t)
	acme, admin := ts.keys["acme"], ts.keys["admin"]
	big := `{"workload_type": "ai_inference_batch", "requirements": {"site": "` + strings.Repeat("x", 10<<20) + `"}}`
	cases := []struct {
		name, method, path, key string
		body                    any
		status                  int
		code                    string
	}{
		{"malformed JSON", "POST", "/api/v1/workloads", acme, `{"workload_type": `, 400, "invalid_json"},
		{"not JSON", "POST", "/api/v1/workloads", acme, `workload please`, 400, "invalid_json"},
		{"empty body", "POST", "/api/v1/workloads", acme, ``, 400, "invalid_json"},
		{"two values", "POST", "/api/v1/workloads", acme, `{"workload_type": "ai_inference_batch"} {}`, 400, "invalid_json"},
		{"unknown field", "POST", "/api/v1/workloads", acme, `{"workload_type": "ai_inference_batch", "prio": 1}`, 400, "invalid_json"},
		{"wrong type", "POST", "/api/v1/workloads", acme, `{"workload_type": "ai_inference_batch", "priority": "high"}`, 400, "invalid_json"},
		{"fractional priority", "POST", "/api/v1/workloads", acme, `{"workload_type": "ai_inference_batch", "priority": 2.5}`, 400, "invalid_json"},
		{"unknown type", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "quantum_annealing"}, 400, "invalid_input"},
		{"no type", "POST", "/api/v1/workloads", acme, map[string]any{"priority": 1}, 400, "invalid_input"},
		{"priority 11", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_batch", "priority": 11}, 400, "invalid_input"},
		{"priority 0", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_batch", "priority": 0}, 400, "invalid_input"},
		{"negative memory", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"gpu_memory_gb": -1}}, 400, "invalid_input"},
		{"unknown site", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"site": "mars"}}, 400, "invalid_input"},
		{"never fits", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "model_training", "requirements": map[string]any{"gpus": 9}}, 422, "capacity_exceeded"},
		{"zero duration", "POST", "/api/v1/workloads", acme, map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"duration_seconds": 0}}, 400, "invalid_input"},
		{"10 MB body", "POST", "/api/v1/workloads", acme, big, 413, "body_too_large"},
		{"10 MB estimate", "POST", "/api/v1/billing/estimate", acme, big, 413, "body_too_large"},
		{"bad id", "GET", "/api/v1/workloads/abc", acme, nil, 400, "invalid_input"},
		{"negative id", "DELETE", "/api/v1/workloads/-1", acme, nil, 400, "invalid_input"},
		{"bad state filter", "GET", "/api/v1/workloads?state=sleeping", acme, nil, 400, "invalid_input"},
		{"bad history limit", "GET", "/api/v1/prices/history?limit=0", acme, nil, 400, "invalid_input"},
		{"bad kind filter", "GET", "/api/v1/resources?kind=fpga", admin, nil, 400, "invalid_input"},
		{"bad resource state", "GET", "/api/v1/resources?state=on", admin, nil, 400, "invalid_input"},
		{"unknown device", "GET", "/api/v1/resources/gpu-9999", admin, nil, 404, "not_found"},
		{"capacity days 15", "GET", "/api/v1/capacity?days=15", admin, nil, 400, "invalid_input"},
		{"unknown model", "POST", "/api/v1/profitability/calculate", admin, map[string]any{"model": "S99"}, 400, "invalid_input"},
		{"negative BTC price", "POST", "/api/v1/profitability/calculate", admin, map[string]any{"model": "S21", "market": map[string]any{"btc_usd": -5}}, 400, "invalid_input"},
		{"zero difficulty", "POST", "/api/v1/profitability/calculate", admin, map[string]any{"model": "S21", "market": map[string]any{"difficulty": 0}}, 400, "invalid_input"},
		{"bad usage time", "GET", "/api/v1/billing/usage?start=yesterday", acme, nil, 400, "invalid_input"},
		{"bad estimate quantity", "POST", "/api/v1/billing/estimate", acme, map[string]any{"usage": []any{map[string]any{"meter_code": "gpu_seconds", "quantity": "lots"}}}, 400, "invalid_input"},
		{"unknown meter", "POST", "/api/v1/billing/estimate", acme, map[string]any{"usage": []any{map[string]any{"meter_code": "widgets", "quantity": "1"}}}, 400, "invalid_input"},
		{"estimate without usage", "POST", "/api/v1/billing/estimate", acme, map[string]any{}, 400, "invalid_input"},
		{"wrong method", "PUT", "/api/v1/workloads", acme, nil, 405, "method_not_allowed"},
		{"unknown path", "GET", "/api/v2/workloads", acme, nil, 404, "not_found"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts.t = t
			ts.wantError(c.status, c.code, c.method, c.path, c.key, c.body)
		})
	}
	ts.t = t
	if h := ts.must(http.StatusOK, "GET", "/health", "", nil); h["status"] != "ok" {
		t.Fatalf("after bad requests: %v", h)
	}
	// Rejected submissions took ids and show as rejected with their reason.
	list := ts.must(http.StatusOK, "GET", "/api/v1/workloads?state=rejected", acme, nil)
	if list["count"].(float64) < 5 {
		t.Fatalf("rejected submissions: %v", list)
	}
}

func TestEconomicsEndpoints(t *testing.T) {
	ts := startService(t)
	acme, operator := ts.keys["acme"], ts.keys["operator"]
	first := ts.must(http.StatusOK, "GET", "/api/v1/prices/current", acme, nil)
	m0 := first["market"].(map[string]any)
	if m0["time"] != "2024-06-01T00:00:00Z" || m0["btc_usd"].(float64) <= 0 || first["hashprice_usd_per_ph_day"].(float64) <= 0 {
		t.Fatalf("current prices: %v", first)
	}
	for i := 0; i < 8; i++ {
		ts.step(time.Second)
	}
	now := ts.must(http.StatusOK, "GET", "/api/v1/prices/current", acme, nil)["market"].(map[string]any)
	if now["time"] != "2024-06-01T02:00:00Z" {
		t.Fatalf("market time after 8 ticks of 15 minutes: %v", now["time"])
	}
	hist := ts.must(http.StatusOK, "GET", "/api/v1/prices/history?limit=5", acme, nil)["prices"].([]any)
	if len(hist) != 5 || hist[4].(map[string]any)["time"] != now["time"] || hist[0].(map[string]any)["time"] != "2024-06-01T01:00:00Z" {
		t.Fatalf("history: %v", hist)
	}
	electricity := map[float64]bool{}
	for _, p := range ts.must(http.StatusOK, "GET", "/api/v1/prices/history", acme, nil)["prices"].([]any) {
		electricity[p.(map[string]any)["electricity_usd_per_mwh"].(float64)] = true
	}
	if len(electricity) < 2 {
		t.Fatalf("electricity did not move over 9 samples of 15 minutes: %v", electricity)
	}

	s21 := ts.must(http.StatusOK, "POST", "/api/v1/profitability/calculate", operator, map[string]any{
		"model": "S21", "market": map[string]any{"electricity_usd_per_kwh": 0.5}, "hardware_usd": 4000,
	})
	best := s21["best_action"].(map[string]any)
	if s21["kind"] != "asic" || best["action"] == "mine" || len(s21["actions"].([]any)) != 3 || s21["payback_days"] != nil {
		t.Fatalf("S21 at 0.50 USD/kWh should not mine or pay back: %v", s21)
	}
	cheap := ts.must(http.StatusOK, "POST", "/api/v1/profitability/calculate", operator, map[string]any{"model": "S21", "market": map[string]any{"electricity_usd_per_kwh": 0.01}})
	if cheap["best_action"].(map[string]any)["action"] != "mine" || cheap["breakeven_usd_per_kwh"].(float64) <= 0.01 {
		t.Fatalf("S21 at 0.01 USD/kWh: %v", cheap)
	}
	gpu := ts.must(http.StatusOK, "POST", "/api/v1/profitability/calculate", operator, map[string]any{"model": "H100_SXM"})
	if gpu["kind"] != "gpu" || gpu["best_action"].(map[string]any)["action"] != "serve" || gpu["daily"].(map[string]any)["revenue_usd"].(float64) <= 0 {
		t.Fatalf("H100: %v", gpu)
	}

	rec := ts.must(http.StatusOK, "GET", "/api/v1/recommendations", operator, nil)
	groups := rec["plan"].(map[string]any)["groups"].([]any)
	if len(groups) != 2 || len(rec["recommendations"].([]any)) == 0 {
		t.Fatalf("recommendations: %v", rec)
	}
	capacity := ts.must(http.StatusOK, "GET", "/api/v1/capacity", operator, nil)
	hours := capacity["hours"].([]any)
	if len(hours) != 7*24 || hours[0].(map[string]any)["time"] != now["time"] {
		t.Fatalf("capacity: %d hours from %v", len(hours), hours[0])
	}
	if h := hours[0].(map[string]any); h["gpus_running"].(float64)+h["miners_running"].(float64) > 12 || h["facility_kw"].(float64) > capacity["cap_kw"].(float64) {
		t.Fatalf("capacity hour: %v", h)
	}
	if len(ts.must(http.StatusOK, "GET", "/api/v1/capacity?days=1", operator, nil)["hours"].([]any)) != 24 {
		t.Fatal("capacity days=1")
	}
}

func TestResources(t *testing.T) {
	ts := startService(t)
	op := ts.keys["operator"]
	all := ts.must(http.StatusOK, "GET", "/api/v1/resources", op, nil)
	if all["total"].(float64) != 12 {
		t.Fatalf("resources: %v", all)
	}
	if g := ts.must(http.StatusOK, "GET", "/api/v1/resources?kind=gpu", op, nil); g["total"].(float64) != 8 {
		t.Fatalf("gpus: %v", g)
	}
	if a := ts.must(http.StatusOK, "GET", "/api/v1/resources?kind=asic&site=test-site&state=idle", op, nil); a["total"].(float64) != 4 {
		t.Fatalf("idle miners at test-site: %v", a)
	}
	if a := ts.must(http.StatusOK, "GET", "/api/v1/resources?site=elsewhere", op, nil); a["total"].(float64) != 0 {
		t.Fatalf("another site: %v", a)
	}
	page := ts.must(http.StatusOK, "GET", "/api/v1/resources?limit=5&offset=10", op, nil)
	if len(page["resources"].([]any)) != 2 {
		t.Fatalf("page: %v", page)
	}
	w := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", ts.keys["acme"], map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"gpu_memory_gb": 30}})
	dev := w["device_ids"].([]any)[0].(string)
	busy := ts.must(http.StatusOK, "GET", "/api/v1/resources?state=busy", op, nil)
	if busy["total"].(float64) != 1 || busy["resources"].([]any)[0].(map[string]any)["device_id"] != dev {
		t.Fatalf("busy: %v", busy)
	}
	d := ts.must(http.StatusOK, "GET", "/api/v1/resources/"+dev, op, nil)
	if d["kind"] != "gpu" || d["state"] != "busy" || d["free_gpu_memory_gb"].(float64) != d["gpu_memory_gb"].(float64)-30 {
		t.Fatalf("device: %v", d)
	}
}

func TestBillingEstimateAndInvoices(t *testing.T) {
	ts := startService(t)
	acme, globex := ts.keys["acme"], ts.keys["globex"]
	est := ts.must(http.StatusOK, "POST", "/api/v1/billing/estimate", acme, map[string]any{
		"usage": []any{map[string]any{"meter_code": "gpu_seconds", "quantity": "3600"}},
	})
	inv := est["estimate"].(map[string]any)
	// acme's plan: 0.00083 USD per GPU-second in the first tier, tax 8.25 %.
	if est["plan_code"] != "gpu-standard" || inv["subtotal"] != "2.99" || inv["total"] != "3.24" {
		t.Fatalf("acme estimate: %v", inv)
	}
	g := ts.must(http.StatusOK, "POST", "/api/v1/billing/estimate", globex, map[string]any{
		"usage": []any{map[string]any{"meter_code": "gpu_seconds", "quantity": 3600}},
	})
	if g["plan_code"] != "gpu-reserved" || g["estimate"].(map[string]any)["subtotal"] != "252.23" {
		t.Fatalf("globex estimate: %v", g["estimate"])
	}

	// A run across the month's end is invoiced when the period closes.
	ts.clock.Advance(time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC).Sub(ts.clock.Now()))
	ts.Step()
	id := ts.submit(acme, map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"duration_seconds": 7200}})
	for i := 0; i < 5; i++ {
		ts.step(15 * time.Minute) // to 00:15: November closes at midnight
	}
	invs := ts.must(http.StatusOK, "GET", "/api/v1/billing/invoices", acme, nil)["customers"].([]any)[0].(map[string]any)
	issued := invs["issued"].([]any)
	if len(issued) != 1 {
		t.Fatalf("issued invoices after November closed: %v", invs)
	}
	nov := issued[0].(map[string]any)
	if nov["period"].(map[string]any)["start"] != "2026-11-01T00:00:00Z" || units(t, nov["lines"]) != 3600 {
		t.Fatalf("November invoice (one GPU, 23:00 to 00:00): %v", nov)
	}
	open := invs["open"].(map[string]any)
	if open["period"].(map[string]any)["start"] != "2026-12-01T00:00:00Z" {
		t.Fatalf("open period: %v", open)
	}
	usage := ts.must(http.StatusOK, "GET", "/api/v1/billing/usage", acme, nil)
	if units(t, usage["lines"]) != 900 {
		t.Fatalf("December usage so far (00:00 to 00:15): %v", usage["lines"])
	}
	if b := usage["budget"].(map[string]any); b["budget"] != "2500" {
		t.Fatalf("budget: %v", b)
	}
	ts.must(http.StatusOK, "DELETE", fmt.Sprintf("/api/v1/workloads/%d", id), acme, nil)
}

// units reads the GPU-seconds of the first line of an invoice's lines.
func units(t *testing.T, lines any) float64 {
	t.Helper()
	u, err := strconv.ParseFloat(lines.([]any)[0].(map[string]any)["units"].(string), 64)
	if err != nil {
		t.Fatal(err)
	}
	return u
}

// The ledger outlives the service: usage metered before a stop is there after a restart, and a
// period that closed while the service was down is invoiced when it starts again.
func TestRestartKeepsTheLedgerAndInvoicesTheClosedPeriod(t *testing.T) {
	ledger := filepath.Join(t.TempDir(), "ledger.db")
	first := startServiceAt(t, time.Date(2026, 11, 30, 23, 0, 0, 0, time.UTC), withLedger(ledger))
	first.submit(first.keys["acme"], map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"duration_seconds": 7200}})
	first.step(30 * time.Minute)
	first.clock.Advance(10 * time.Minute)
	if err := first.Shutdown(context.Background()); err != nil { // meters 23:30 to 23:40 on the way out
		t.Fatal(err)
	}

	second := startServiceAt(t, time.Date(2026, 12, 1, 1, 0, 0, 0, time.UTC), withLedger(ledger))
	invs := second.must(http.StatusOK, "GET", "/api/v1/billing/invoices", second.keys["acme"], nil)["customers"].([]any)[0].(map[string]any)
	issued := invs["issued"].([]any)
	if len(issued) != 1 {
		t.Fatalf("invoices after the restart: %v", invs)
	}
	nov := issued[0].(map[string]any)
	if nov["period"].(map[string]any)["start"] != "2026-11-01T00:00:00Z" || units(t, nov["lines"]) != 2400 {
		t.Fatalf("November, 23:00 to 23:40 on one GPU: %v", nov)
	}
	if g := second.must(http.StatusOK, "GET", "/api/v1/billing/invoices", second.keys["globex"], nil)["customers"].([]any)[0].(map[string]any); len(g["issued"].([]any)) != 0 {
		t.Fatalf("globex had no usage in November and gets no invoice: %v", g)
	}
}
