package main

// helpers_test.go starts the service on a random port with fresh keys, a temporary ledger and a
// clock the test moves, and talks to it over real HTTP and WebSocket.

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// fakeClock is the service's clock in tests: it moves only when the test says.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// testKeys are the keys of a test service, by name.
type testKeys map[string]string

// writeKeys writes a key file with an admin, an operator, customers acme and globex, and a
// customer "limited" whose key allows a burst of 3 and almost no refill.
func writeKeys(t *testing.T, dir string) (string, testKeys) {
	t.Helper()
	keys := testKeys{}
	var entries []keyEntry
	for _, k := range []struct {
		name, role, customer string
		rate                 float64
		burst                int
	}{
		{"admin", "admin", "", 0, 0}, {"operator", "operator", "", 0, 0},
		{"acme", "customer", "acme", 0, 0}, {"globex", "customer", "globex", 0, 0},
		{"limited", "customer", "limited", 0.0001, 3},
	} {
		key, e, err := NewKey(k.name, Role(k.role), k.customer)
		if err != nil {
			t.Fatal(err)
		}
		e.RatePerSecond, e.Burst = k.rate, k.burst
		keys[k.name] = key
		entries = append(entries, e)
	}
	b, _ := json.Marshal(keyFile{Keys: entries})
	path := filepath.Join(dir, "keys.json")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	return path, keys
}

// tightSite is a site whose cap makes GPU work curtail a miner: 2 H100s and 2 S21s under 7.5 kW.
const tightSite = `{"cap_kw": 7.5, "pue": 1.1, "adders_usd_per_kwh": 0.012, "pool_fee": 0.02, "gpu_utilisation": 0.7,
 "devices": [{"model": "H100_SXM", "count": 2}, {"model": "S21", "count": 2}]}`

// testService is a running service and what a test needs to drive it.
type testService struct {
	*Service
	t      *testing.T
	base   string
	clock  *fakeClock
	keys   testKeys
	ledger string
}

type serviceOption func(*Config, string)

func withSite(spec string) serviceOption {
	return func(c *Config, dir string) {
		p := filepath.Join(dir, "site.json")
		if err := os.WriteFile(p, []byte(spec), 0o600); err != nil {
			panic(err)
		}
		c.SiteFile = p
	}
}

func withLedger(path string) serviceOption {
	return func(c *Config, _ string) { c.LedgerPath = path }
}

// startService starts a service on 127.0.0.1:0 with no ticker (the test steps it) and stops it
// when the test ends.
func startService(t *testing.T, opts ...serviceOption) *testService {
	return startServiceAt(t, time.Date(2026, 11, 10, 12, 0, 0, 0, time.UTC), opts...)
}

// startServiceAt starts a service whose clock starts at start.
func startServiceAt(t *testing.T, start time.Time, opts ...serviceOption) *testService {
	t.Helper()
	dir := t.TempDir()
	keysPath, keys := writeKeys(t, dir)
	clock := &fakeClock{t: start}
	cfg := Config{
		Addr: "127.0.0.1:0", KeysFile: keysPath, BillingFile: "billing.example.json", DataDir: "../../data/market",
		LedgerPath: filepath.Join(dir, "ledger.db"), SiteID: "test-site", MarketStart: "2024-06-01",
		MarketStep: 15 * time.Minute, MarketDays: 30, Tick: 0, MeterInterval: time.Minute, DefaultDuration: 5 * time.Minute,
		RatePerSecond: 1000, Burst: 1000, MaxBodyBytes: 1 << 20, Now: clock.Now,
	}
	for _, o := range opts {
		o(&cfg, dir)
	}
	svc, err := NewService(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		t.Fatal(err)
	}
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ln) }()
	ts := &testService{Service: svc, t: t, base: "http://" + ln.Addr().String(), clock: clock, keys: keys, ledger: cfg.LedgerPath}
	t.Cleanup(func() {
		if err := svc.Shutdown(context.Background()); err != nil {
			t.Errorf("shutdown: %v", err)
		}
		if err := <-served; err != nil {
			t.Errorf("serve: %v", err)
		}
	})
	return ts
}

// response is a decoded JSON response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// do sends a request with key ("" for none) and body (a string is sent as is, anything else as
// JSON) and decodes the JSON answer.
func (ts *testService) do(method, path, key string, body any) response {
	ts.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	case []byte:
		rd = bytes.NewReader(b)
	default:
		j, err := json.Marshal(b)
		if err != nil {
			ts.t.Fatal(err)
		}
		rd = bytes.NewReader(j)
	}
	req, err := http.NewRequest(method, ts.base+path, rd)
	if err != nil {
		ts.t.Fatal(err)
	}
	if key != "" {
		req.Header.Set("Authorization", "Bearer "+key)
	}
	if rd != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		ts.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if strings.HasPrefix(res.Header.Get("Content-Type"), "application/json") {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			ts.t.Fatalf("%s %s: response is not a JSON object: %v: %s", method, path, err, raw)
		}
	}
	return r
}

// must checks the status and returns the body.
func (ts *testService) must(status int, method, path, key string, body any) map[string]any {
	ts.t.Helper()
	r := ts.do(method, path, key, body)
	if r.status != status {
		ts.t.Fatalf("%s %s: status %d, want %d: %s", method, path, r.status, status, r.raw)
	}
	return r.body
}

// wantError checks a 4xx JSON error with the given status and code.
func (ts *testService) wantError(status int, code, method, path, key string, body any) string {
	ts.t.Helper()
	r := ts.do(method, path, key, body)
	if r.status != status {
		ts.t.Fatalf("%s %s: status %d, want %d: %.300s", method, path, r.status, status, r.raw)
	}
	e, ok := r.body["error"].(map[string]any)
	if !ok || e["code"] == nil || e["message"] == nil {
		ts.t.Fatalf("%s %s: not a JSON error: %.300s", method, path, r.raw)
	}
	if code != "" && e["code"] != code {
		ts.t.Fatalf("%s %s: error code %v, want %s: %v", method, path, e["code"], code, e["message"])
	}
	return e["message"].(string)
}

// submit submits a workload as key and returns its id.
func (ts *testService) submit(key string, body map[string]any) uint64 {
	ts.t.Helper()
	w := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", key, body)
	return uint64(w["id"].(float64))
}

// step moves the clock by d and runs one tick.
func (ts *testService) step(d time.Duration) {
	ts.clock.Advance(d)
	ts.Step()
}

// wsClient is a WebSocket connection to /ws.
type wsTestClient struct {
	t    *testing.T
	conn *websocket.Conn
}

func (ts *testService) dial(key string) *wsTestClient {
	ts.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.base, "http")+"/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": []string{"Bearer " + key}},
	})
	if err != nil {
		ts.t.Fatal(err)
	}
	conn.SetReadLimit(1 << 22)
	ts.t.Cleanup(func() { conn.CloseNow() })
	return &wsTestClient{t: ts.t, conn: conn}
}

type wsTestMessage struct {
	Type string         `json:"type"`
	Time string         `json:"time"`
	Data map[string]any `json:"data"`
}

// readUntil reads messages until match returns true and returns every message read. The
// deadline only turns a hang into a failure.
func (c *wsTestClient) readUntil(match func(wsTestMessage) bool) []wsTestMessage {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	var seen []wsTestMessage
	for {
		_, b, err := c.conn.Read(ctx)
		if err != nil {
			c.t.Fatalf("ws read after %d messages: %v", len(seen), err)
		}
		var m wsTestMessage
		if err := json.Unmarshal(b, &m); err != nil {
			c.t.Fatalf("ws message is not JSON: %v: %s", err, b)
		}
		seen = append(seen, m)
		if match(m) {
			return seen
		}
	}
}

func ofType(typ string) func(wsTestMessage) bool {
	return func(m wsTestMessage) bool { return m.Type == typ }
}
