package main

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
)

// Every message type arrives over a real WebSocket, each to whom it concerns: on a site whose cap
// makes GPU work put a miner to sleep, a customer's job gives workload, resource, alert, metrics
// and billing updates; another customer sees none of the first one's.
func TestWebSocketUpdates(t *testing.T) {
	ts := startService(t, withSite(tightSite))
	acmeWS, globexWS, opWS := ts.dial(ts.keys["acme"]), ts.dial(ts.keys["globex"]), ts.dial(ts.keys["operator"])
	for _, c := range []*wsTestClient{acmeWS, globexWS, opWS} {
		hello := c.readUntil(func(wsTestMessage) bool { return true })
		if hello[0].Type != msgMetrics || hello[0].Data["market"] == nil {
			t.Fatalf("first message: %+v", hello[0])
		}
	}

	// Two GPUs of training under a 7.5 kW cap: the router puts a miner to sleep for it.
	w := ts.must(http.StatusCreated, "POST", "/api/v1/workloads", ts.keys["acme"], map[string]any{
		"workload_type": "model_training", "requirements": map[string]any{"gpus": 2, "duration_seconds": 30 * 86400},
	})
	if w["state"] != "running" {
		t.Fatalf("training: %v", w)
	}
	// 15 days later: its usage is metered and rated, and past half of acme's budget.
	ts.step(15 * 24 * time.Hour)

	got := acmeWS.readUntil(ofType(msgBilling))
	if !has(got, msgWorkload, func(d map[string]any) bool { return d["customer_id"] == "acme" && d["state"] == "running" }) {
		t.Fatalf("acme: no workload_update for its training: %v", types(got))
	}
	bill := got[len(got)-1].Data
	if bill["customer_id"] != "acme" || bill["budget"] == nil {
		t.Fatalf("acme billing_update: %v", bill)
	}
	got = acmeWS.readUntil(func(m wsTestMessage) bool { return m.Type == msgAlert && m.Data["kind"] == "budget" })
	if msg := got[len(got)-1].Data["message"].(string); !strings.Contains(msg, "acme") {
		t.Fatalf("budget alert: %v", msg)
	}

	opSeen := opWS.readUntil(ofType(msgMetrics)) // the tick's snapshot comes after its updates
	for _, want := range []struct {
		typ  string
		test func(map[string]any) bool
	}{
		{msgWorkload, func(d map[string]any) bool { return d["customer_id"] == "acme" }},
		{msgAlert, func(d map[string]any) bool { return d["kind"] == "miner_curtailed" }},
		{msgResource, func(d map[string]any) bool {
			for _, r := range d["resources"].([]any) {
				if r.(map[string]any)["state"] == "curtailed" {
					return true
				}
			}
			return false
		}},
	} {
		if !has(opSeen, want.typ, want.test) {
			t.Errorf("operator: no matching %s among %v", want.typ, types(opSeen))
		}
	}

	// globex saw the ticks' metrics and nothing of acme's.
	globexSeen := globexWS.readUntil(ofType(msgMetrics))
	for _, m := range globexSeen {
		if m.Type != msgMetrics {
			t.Fatalf("globex received %s: %v", m.Type, m.Data)
		}
	}

	// A customer key without a valid key gets no upgrade.
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	_, res, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.base, "http")+"/ws", &websocket.DialOptions{
		HTTPHeader: http.Header{"Authorization": []string{"Bearer nope"}},
	})
	if err == nil || res == nil || res.StatusCode != http.StatusUnauthorized {
		t.Fatalf("dial with a bad key: %v %v", err, res)
	}
}

func has(msgs []wsTestMessage, typ string, test func(map[string]any) bool) bool {
	for _, m := range msgs {
		if m.Type == typ && test(m.Data) {
			return true
		}
	}
	return false
}

func types(msgs []wsTestMessage) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.Type
	}
	return out
}
