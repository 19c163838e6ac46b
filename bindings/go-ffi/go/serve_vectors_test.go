package hcpcore

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// Replays tests/vectors/serve.json, the serving cases the Rust, Python and Node suites replay too.

type serveDoc struct {
	Tolerance struct {
		Relative float64 `json:"relative"`
		Absolute float64 `json:"absolute"`
	} `json:"tolerance"`
	Runs []struct {
		Name     string          `json:"name"`
		GPU      string          `json:"gpu"`
		Model    ModelSpec       `json:"model"`
		Config   json.RawMessage `json:"config"`
		Requests struct {
			Columns *struct {
				Requests
				Tenant []int64 `json:"tenant"`
			} `json:"columns"`
			Azure     string          `json:"azure"`
			Head      int             `json:"head"`
			Synthetic json.RawMessage `json:"synthetic"`
		} `json:"requests"`
		Expect map[string]any `json:"expect"`
	} `json:"runs"`
	Errors []struct {
		Name    string          `json:"name"`
		Model   *ModelSpec      `json:"model"`
		Config  json.RawMessage `json:"config"`
		Columns *Requests       `json:"columns"`
		Error   string          `json:"error"`
		Field   string          `json:"field"`
	} `json:"errors"`
	Synthetic []struct {
		Name   string          `json:"name"`
		Stream json.RawMessage `json:"stream"`
		Expect map[string]any  `json:"expect"`
	} `json:"synthetic"`
	Traces []struct {
		Trace    string         `json:"trace"`
		Requests int            `json:"requests"`
		Head     map[string]any `json:"head"`
	} `json:"traces"`
	Aggregate []struct {
		Name   string          `json:"name"`
		GPU    string          `json:"gpu"`
		Model  ModelSpec       `json:"model"`
		Config json.RawMessage `json:"config"`
		Load   AggregateLoad   `json:"load"`
		Expect map[string]any  `json:"expect"`
	} `json:"aggregate"`
}

// generic turns Go data into decoded-JSON form (maps, slices, float64).
func generic(v any) any {
	b, _ := json.Marshal(v)
	var out any
	_ = json.Unmarshal(b, &out)
	return out
}

func serveClose(got, want any, rel, abs float64, path string) error {
	switch w := want.(type) {
	case float64:
		g, ok := got.(float64)
		if !ok {
			return fmt.Errorf("%s: got %#v, want %v", path, got, w)
		}
		if tol := math.Max(abs, rel*math.Abs(w)); math.IsNaN(g) || math.Abs(g-w) > tol {
			return fmt.Errorf("%s: got %v, want %v (tol %g)", path, g, w, tol)
		}
	case []any:
		g, ok := got.([]any)
		if !ok || len(g) != len(w) {
			return fmt.Errorf("%s: got %#v, want %d entries", path, got, len(w))
		}
		for i := range w {
			if err := serveClose(g[i], w[i], rel, abs, fmt.Sprintf("%s[%d]", path, i)); err != nil {
				return err
			}
		}
	case map[string]any:
		g, ok := got.(map[string]any)
		if !ok {
			return fmt.Errorf("%s: got %#v, want an object", path, got)
		}
		for k, wv := range w {
			if err := serveClose(g[k], wv, rel, abs, path+"."+k); err != nil {
				return err
			}
		}
	default:
		if fmt.Sprint(got) != fmt.Sprint(want) {
			return fmt.Errorf("%s: got %v, want %v", path, got, want)
		}
	}
	return nil
}

func rawOr(r json.RawMessage) string {
	if len(r) == 0 {
		return ""
	}
	return string(r)
}

func TestServeVectors(t *testing.T) {
	root, _ := filepath.Abs("../../..")
	raw, err := os.ReadFile(filepath.Join(root, "tests", "vectors", "serve.json"))
	if err != nil {
		t.Fatal(err)
	}
	var doc serveDoc
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	rel, abs := doc.Tolerance.Relative, doc.Tolerance.Absolute
	gpus := map[string]*H100{}
	gpu := func(name string) *H100 {
		if name == "" {
			name = "sxm"
		}
		if g, ok := gpus[name]; ok {
			return g
		}
		g, err := NewH100(name, GPUSpecOverrides{})
		if err != nil {
			t.Fatal(err)
		}
		gpus[name] = g
		return g
	}
	for _, c := range doc.Runs {
		t.Run("run/"+c.Name, func(t *testing.T) {
			var req Requests
			var opts *RunOptions
			switch {
			case c.Requests.Columns != nil:
				req = c.Requests.Columns.Requests
				if c.Requests.Columns.Tenant != nil {
					opts = &RunOptions{Tenant: c.Requests.Columns.Tenant}
				}
			case c.Requests.Azure != "":
				tr, err := AzureTrace(c.Requests.Azure)
				if err != nil {
					t.Fatal(err)
				}
				n := c.Requests.Head
				req = Requests{tr.ArrivalSeconds[:n], tr.PromptTokens[:n], tr.OutputTokens[:n]}
			default:
				if req, err = SyntheticRequestsJSON(string(c.Requests.Synthetic)); err != nil {
					t.Fatal(err)
				}
			}
			s, err := NewServerJSON(gpu(c.GPU), c.Model, rawOr(c.Config))
			if err != nil {
				t.Fatal(err)
			}
			r, err := s.Run(req, opts)
			if err != nil {
				t.Fatal(err)
			}
			summary := generic(r.Summary).(map[string]any)
			want := c.Expect["summary"].(map[string]any)
			gotSummary := map[string]any{}
			for k := range want {
				if k == "ttft_p99_seconds" {
					gotSummary[k] = r.Summary.TTFTSeconds.P99
				} else {
					gotSummary[k] = summary[k]
				}
			}
			got := generic(map[string]any{
				"replica": r.Replica, "queue_seconds": r.QueueSeconds, "ttft_seconds": r.TTFTSeconds,
				"tpot_seconds": r.TPOTSeconds, "e2e_seconds": r.E2ESeconds, "preemptions": r.Preemptions,
				"summary": gotSummary, "tenants": r.Tenants,
			})
			if err := serveClose(got, c.Expect, rel, abs, c.Name); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range doc.Errors {
		t.Run("error/"+c.Name, func(t *testing.T) {
			model := ModelSpec{Params: 8e9, BytesPerParam: 2}
			if c.Model != nil {
				model = *c.Model
			}
			req := Requests{[]float64{0}, []int64{10}, []int64{10}}
			if c.Columns != nil {
				req = *c.Columns
			}
			s, err := NewServerJSON(gpu("sxm"), model, rawOr(c.Config))
			if err == nil {
				_, err = s.Run(req, nil)
			}
			var he *Error
			if !errors.As(err, &he) || he.Kind().String() != c.Error || !strings.HasPrefix(he.Message(), c.Field+":") {
				t.Fatalf("want %s naming %s, got %v", c.Error, c.Field, err)
			}
		})
	}
	for _, c := range doc.Synthetic {
		t.Run("synthetic/"+c.Name, func(t *testing.T) {
			r, err := SyntheticRequestsJSON(string(c.Stream))
			if err != nil {
				t.Fatal(err)
			}
			if err := serveClose(generic(r), c.Expect, rel, abs, c.Name); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range doc.Traces {
		t.Run("trace/"+c.Trace, func(t *testing.T) {
			r, err := AzureTrace(c.Trace)
			if err != nil {
				t.Fatal(err)
			}
			if len(r.ArrivalSeconds) != c.Requests {
				t.Fatalf("%d requests, want %d", len(r.ArrivalSeconds), c.Requests)
			}
			head := Requests{r.ArrivalSeconds[:5], r.PromptTokens[:5], r.OutputTokens[:5]}
			if err := serveClose(generic(head), c.Head, rel, abs, c.Trace); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, c := range doc.Aggregate {
		t.Run("aggregate/"+c.Name, func(t *testing.T) {
			s, err := NewServerJSON(gpu(c.GPU), c.Model, rawOr(c.Config))
			if err != nil {
				t.Fatal(err)
			}
			a, err := s.Aggregate(c.Load)
			if err != nil {
				t.Fatal(err)
			}
			if err := serveClose(generic(a), c.Expect, rel, abs, c.Name); err != nil {
				t.Fatal(err)
			}
		})
	}
}
