package hcpcore

import (
	"errors"
	"math"
	"strings"
	"testing"
)

func TestServerRunsTheConversationalTrace(t *testing.T) {
	gpu, err := NewH100("sxm", GPUSpecOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	s, err := NewServer(gpu, ModelSpec{Params: 8e9, BytesPerParam: 2}, ServeConfig{MaxBatch: 256, Seed: 1, Replicas: 2})
	if err != nil {
		t.Fatal(err)
	}
	tr, err := AzureTrace("conv")
	if err != nil {
		t.Fatal(err)
	}
	if len(tr.ArrivalSeconds) != 19366 {
		t.Fatalf("%d requests", len(tr.ArrivalSeconds))
	}
	n := 500
	req := Requests{tr.ArrivalSeconds[:n], tr.PromptTokens[:n], tr.OutputTokens[:n]}
	r, err := s.Run(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	var tokens int64
	for i := 0; i < n; i++ {
		if !(r.QueueSeconds[i] <= r.TTFTSeconds[i] && r.TTFTSeconds[i] <= r.E2ESeconds[i]) {
			t.Fatalf("request %d: queue %v ttft %v e2e %v", i, r.QueueSeconds[i], r.TTFTSeconds[i], r.E2ESeconds[i])
		}
		if r.Replica[i] > 1 {
			t.Fatalf("replica %d", r.Replica[i])
		}
		tokens += req.OutputTokens[i]
	}
	if r.Summary.OutputTokens != uint64(tokens) {
		t.Fatalf("output tokens %d, want %d", r.Summary.OutputTokens, tokens)
	}
	var energy float64
	for _, e := range r.Series.EnergyJoules {
		energy += e
	}
	if math.Abs(energy-r.Summary.EnergyJoules) > 1e-9*energy || r.Summary.MeanPowerWatts < 250 {
		t.Fatalf("energy %v vs %v, power %v", energy, r.Summary.EnergyJoules, r.Summary.MeanPowerWatts)
	}
	again, err := s.Run(req, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range r.E2ESeconds {
		if r.E2ESeconds[i] != again.E2ESeconds[i] {
			t.Fatalf("not deterministic at %d", i)
		}
	}
	agg, err := s.Aggregate(AggregateLoad{ArrivalRatePerSecond: 10, MeanPromptTokens: 1155, MeanOutputTokens: 211, IntervalSeconds: 3600})
	if err != nil || agg.Saturated || math.Abs(agg.OutputTokensPerSecond-2110) > 1e-6 {
		t.Fatalf("aggregate %+v %v", agg, err)
	}
	day, err := ScaleTrace(tr, ScaleRule{MeanRatePerSecond: 2, DurationSeconds: 86400, DiurnalAmplitude: 0.5})
	if err != nil || math.Abs(float64(len(day.ArrivalSeconds))/86400-2) > 0.05 {
		t.Fatalf("scaled %d, %v", len(day.ArrivalSeconds), err)
	}
}

func TestServerBadInputNamesTheField(t *testing.T) {
	gpu, err := NewH100("sxm", GPUSpecOverrides{})
	if err != nil {
		t.Fatal(err)
	}
	defer gpu.Close()
	expect := func(err error, kind, field string) {
		t.Helper()
		var he *Error
		if !errors.As(err, &he) || he.Kind().String() != kind || !strings.HasPrefix(he.Message(), field+":") {
			t.Fatalf("want %s naming %s, got %v", kind, field, err)
		}
	}
	llama := ModelSpec{Params: 8e9, BytesPerParam: 2}
	s, err := NewServer(gpu, llama, ServeConfig{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Run(Requests{[]float64{-1}, []int64{1}, []int64{1}}, nil)
	expect(err, "InvalidInput", "arrival_seconds[0]")
	_, err = s.Run(Requests{[]float64{math.NaN()}, []int64{1}, []int64{1}}, nil)
	expect(err, "InvalidInput", "arrival_seconds[0]")
	_, err = s.Run(Requests{[]float64{1, 0}, []int64{1, 1}, []int64{1, 1}}, nil)
	expect(err, "InvalidInput", "arrival_seconds[1]")
	_, err = s.Run(Requests{[]float64{0}, []int64{0}, []int64{1}}, nil)
	expect(err, "InvalidInput", "prompt_tokens[0]")
	_, err = s.Run(Requests{[]float64{0}, []int64{3}, []int64{-1}}, nil)
	expect(err, "InvalidInput", "output_tokens[0]")
	_, err = s.Run(Requests{[]float64{0}, []int64{3, 4}, []int64{1}}, nil)
	expect(err, "InvalidInput", "prompt_tokens")
	_, err = s.Run(Requests{[]float64{0}, []int64{3}, []int64{1}}, &RunOptions{Priority: []int64{11}})
	expect(err, "InvalidInput", "priority[0]")
	_, err = NewServerJSON(gpu, llama, `{"max_batch": 0}`)
	expect(err, "InvalidInput", "max_batch")
	_, err = NewServerJSON(gpu, llama, `{"max_tokens_per_step": 0}`)
	expect(err, "InvalidInput", "max_tokens_per_step")
	_, err = NewServer(gpu, ModelSpec{Params: 70e9, BytesPerParam: 2}, ServeConfig{})
	expect(err, "OutOfMemory", "model")
	_, err = AzureTrace("chat")
	expect(err, "InvalidInput", "trace")
	gpu.Close()
	_, err = s.Run(Requests{[]float64{0}, []int64{3}, []int64{1}}, nil)
	if !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
}
