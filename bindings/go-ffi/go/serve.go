package hcpcore

/*
#include <stdlib.h>
#include "hcp.h"
*/
import "C"

import (
	"encoding/json"
	"runtime"
	"unsafe"
)

// Requests are request columns: arrival times (s, non-decreasing, ≥ 0) and prompt and output
// tokens (≥ 1), one entry per request.
type Requests struct {
	ArrivalSeconds []float64 `json:"arrival_seconds"`
	PromptTokens   []int64   `json:"prompt_tokens"`
	OutputTokens   []int64   `json:"output_tokens"`
}

// RunOptions are optional per-request columns of Server.Run (nil: absent).
type RunOptions struct {
	Priority       []int64   // 1 (first) … 10; default 5
	TTFTSLOSeconds []float64 // TTFT objective per request, s
	TPOTSLOSeconds []float64 // mean-TPOT objective per request, s
	Tenant         []int64   // tenant of each request (0..=4294967295); ServeRun.Tenants then has a row per tenant
}

// TenantSummary holds the totals of one tenant's requests; energy is attributed in proportion to
// the tokens computed (prompt plus output).
type TenantSummary struct {
	Tenant                   uint32      `json:"tenant"`
	Requests                 uint64      `json:"requests"`
	SLOAttainment            float64     `json:"slo_attainment"`
	GoodputRequestsPerSecond float64     `json:"goodput_requests_per_second"`
	PromptTokens             uint64      `json:"prompt_tokens"`
	OutputTokens             uint64      `json:"output_tokens"`
	OutputTokensPerSecond    float64     `json:"output_tokens_per_second"`
	TTFTSeconds              Percentiles `json:"ttft_seconds"`
	E2ESeconds               Percentiles `json:"e2e_seconds"`
	EnergyJoules             float64     `json:"energy_joules"`
}

// Percentiles are the p50, p90 and p99 of one latency, s.
type Percentiles struct {
	P50 float64 `json:"p50"`
	P90 float64 `json:"p90"`
	P99 float64 `json:"p99"`
}

// ServeSummary holds the totals and percentiles of a run; rates divide by DurationSeconds (first
// arrival to last completion), energy covers every GPU over that span.
type ServeSummary struct {
	Requests                 uint64      `json:"requests"`
	DurationSeconds          float64     `json:"duration_seconds"`
	QueueSeconds             Percentiles `json:"queue_seconds"`
	TTFTSeconds              Percentiles `json:"ttft_seconds"`
	TPOTSeconds              Percentiles `json:"tpot_seconds"`
	E2ESeconds               Percentiles `json:"e2e_seconds"`
	SLOAttainment            float64     `json:"slo_attainment"`
	GoodputRequestsPerSecond float64     `json:"goodput_requests_per_second"`
	RequestsPerSecond        float64     `json:"requests_per_second"`
	PromptTokens             uint64      `json:"prompt_tokens"`
	OutputTokens             uint64      `json:"output_tokens"`
	OutputTokensPerSecond    float64     `json:"output_tokens_per_second"`
	EnergyJoules             float64     `json:"energy_joules"`
	MeanPowerWatts           float64     `json:"mean_power_watts"`
	JoulesPerOutputToken     float64     `json:"joules_per_output_token"`
	Preemptions              uint64      `json:"preemptions"`
	Steps                    uint64      `json:"steps"`
	GPUs                     uint32      `json:"gpus"`
}

// ServeSeries are the per-replica series of a run, replica-major rows.
type ServeSeries struct {
	TimeSeconds            []float64 `json:"time_seconds"`
	Replica                []uint32  `json:"replica"`
	BatchSize              []float64 `json:"batch_size"`
	OutputTokensPerSecond  []float64 `json:"output_tokens_per_second"`
	PrefillTokensPerSecond []float64 `json:"prefill_tokens_per_second"`
	PowerWatts             []float64 `json:"power_watts"`
	EnergyJoules           []float64 `json:"energy_joules"`
	KVUsedFraction         []float64 `json:"kv_used_fraction"`
}

// ServeRun is a serving run: per-request columns in input order, the summary, the series and
// the model switches played (each with its phases and energy).
type ServeRun struct {
	Replica      []uint32
	QueueSeconds []float64
	TTFTSeconds  []float64
	TPOTSeconds  []float64
	E2ESeconds   []float64
	SLOMet       []bool
	Preemptions  []uint32
	Summary      ServeSummary
	Series       ServeSeries
	Switches     []map[string]any
	Tenants      []TenantSummary
}

// AggregateLoad is a mean load over an interval, for Server.Aggregate.
type AggregateLoad struct {
	ArrivalRatePerSecond float64 `json:"arrival_rate_per_second"`
	MeanPromptTokens     float64 `json:"mean_prompt_tokens"`
	MeanOutputTokens     float64 `json:"mean_output_tokens"`
	IntervalSeconds      float64 `json:"interval_seconds"`
}

// AggregateServe is the aggregate model's steady serving of a load.
type AggregateServe struct {
	ServedRequestsPerSecond float64 `json:"served_requests_per_second"`
	ServedFraction          float64 `json:"served_fraction"`
	OutputTokensPerSecond   float64 `json:"output_tokens_per_second"`
	StepSeconds             float64 `json:"step_seconds"`
	Utilization             float64 `json:"utilization"`
	MeanBatch               float64 `json:"mean_batch"`
	Saturated               bool    `json:"saturated"`
	PowerWatts              float64 `json:"power_watts"`
	EnergyJoules            float64 `json:"energy_joules"`
	JoulesPerOutputToken    float64 `json:"joules_per_output_token"`
}

// Server is replicas of one model on simulated H100s serving request streams (continuous
// batching, chunked prefill, KV cache with preemption, tensor parallel, dispatch, model
// switches; rules in docs/serving.md). It reads the GPU's spec at each call. Safe for concurrent
// use.
type Server struct {
	gpu        *H100
	modelJSON  string
	configJSON string
}

// NewServer checks and returns a server of model on gpu (the zero ServeConfig for defaults), e.g.
// NewServer(gpu, model, ServeConfig{Replicas: 8, Seed: 1}).
func NewServer(gpu *H100, model ModelSpec, config ServeConfig) (*Server, error) {
	text, err := marshalConfig("config", config)
	if err != nil {
		return nil, err
	}
	if text == "{}" {
		text = ""
	}
	return NewServerJSON(gpu, model, text)
}

// NewServerJSON is NewServer with the config as JSON ("" for defaults), e.g.
// `{"max_batch": 256, "replicas": 8, "seed": 1}`.
func NewServerJSON(gpu *H100, model ModelSpec, configJSON string) (*Server, error) {
	if gpu == nil {
		return nil, invalidInput("gpu", "nil")
	}
	js, err := json.Marshal(model)
	if err != nil {
		return nil, invalidInput("model", err.Error())
	}
	s := &Server{gpu: gpu, modelJSON: string(js), configJSON: configJSON}
	if _, err := s.KVCapacityTokens(); err != nil {
		return nil, err
	}
	return s, nil
}

// call runs f with the server's strings in C memory and the GPU handle held.
func (s *Server) call(f func(gpu *C.hcp_h100_t, model, config *C.char) error) error {
	cm, err := cString("model", s.modelJSON)
	if err != nil {
		return err
	}
	defer freeCString(cm)
	var cc *C.char
	if s.configJSON != "" {
		if cc, err = cString("config", s.configJSON); err != nil {
			return err
		}
		defer freeCString(cc)
	}
	s.gpu.mu.Lock()
	defer s.gpu.mu.Unlock()
	if s.gpu.ptr == nil {
		return closedError("H100")
	}
	err = f(s.gpu.ptr, cm, cc)
	runtime.KeepAlive(s.gpu)
	return err
}

// KVCapacityTokens is the KV-cache capacity of one replica, tokens.
func (s *Server) KVCapacityTokens() (uint64, error) {
	var n uint64
	err := s.call(func(gpu *C.hcp_h100_t, model, config *C.char) error {
		var e *C.hcp_error_t
		n = uint64(C.hcp_serve_kv_capacity_tokens(gpu, model, config, &e))
		return takeError(e)
	})
	return n, err
}

func f64ptr(s []float64) *C.double {
	if len(s) == 0 {
		return nil
	}
	return (*C.double)(unsafe.Pointer(&s[0]))
}

func i64ptr(s []int64) *C.int64_t {
	if len(s) == 0 {
		return nil
	}
	return (*C.int64_t)(unsafe.Pointer(&s[0]))
}

// Run serves the requests. Columns must have equal lengths (so must the optional ones given).
func (s *Server) Run(r Requests, opts *RunOptions) (*ServeRun, error) {
	n := len(r.ArrivalSeconds)
	if err := checkCount("arrival_seconds", n, MaxRequests); err != nil {
		return nil, err
	}
	same := func(field string, m int) error {
		if m != n {
			return invalidInput(field, "must have as many entries as arrival_seconds")
		}
		return nil
	}
	if err := same("prompt_tokens", len(r.PromptTokens)); err != nil {
		return nil, err
	}
	if err := same("output_tokens", len(r.OutputTokens)); err != nil {
		return nil, err
	}
	var prio, tenant []int64
	var ttft, tpot []float64
	if opts != nil {
		prio, ttft, tpot, tenant = opts.Priority, opts.TTFTSLOSeconds, opts.TPOTSLOSeconds, opts.Tenant
		for _, c := range []struct {
			name string
			n    int
			nil_ bool
		}{{"priority", len(prio), prio == nil}, {"ttft_slo_seconds", len(ttft), ttft == nil}, {"tpot_slo_seconds", len(tpot), tpot == nil}, {"tenant", len(tenant), tenant == nil}} {
			if !c.nil_ {
				if err := same(c.name, c.n); err != nil {
					return nil, err
				}
			}
		}
	}
	out := &ServeRun{
		Replica:      make([]uint32, n),
		QueueSeconds: make([]float64, n),
		TTFTSeconds:  make([]float64, n),
		TPOTSeconds:  make([]float64, n),
		E2ESeconds:   make([]float64, n),
		Preemptions:  make([]uint32, n),
	}
	met := make([]uint8, n)
	var u32 = func(s []uint32) *C.uint32_t {
		if len(s) == 0 {
			return nil
		}
		return (*C.uint32_t)(unsafe.Pointer(&s[0]))
	}
	var u8 *C.uint8_t
	if n > 0 {
		u8 = (*C.uint8_t)(unsafe.Pointer(&met[0]))
	}
	var rest string
	err := s.call(func(gpu *C.hcp_h100_t, model, config *C.char) error {
		var e *C.hcp_error_t
		p := C.hcp_serve_run(gpu, model, config,
			f64ptr(r.ArrivalSeconds), i64ptr(r.PromptTokens), i64ptr(r.OutputTokens),
			i64ptr(prio), f64ptr(ttft), f64ptr(tpot), i64ptr(tenant), C.size_t(n),
			u32(out.Replica), f64ptr(out.QueueSeconds), f64ptr(out.TTFTSeconds), f64ptr(out.TPOTSeconds),
			f64ptr(out.E2ESeconds), u8, u32(out.Preemptions), &e)
		if err := takeError(e); err != nil {
			return err
		}
		rest = takeString(p)
		return nil
	})
	runtime.KeepAlive(r)
	runtime.KeepAlive(opts)
	if err != nil {
		return nil, err
	}
	out.SLOMet = make([]bool, n)
	for i, m := range met {
		out.SLOMet[i] = m != 0
	}
	var parsed struct {
		Summary  ServeSummary     `json:"summary"`
		Series   ServeSeries      `json:"series"`
		Switches []map[string]any `json:"switches"`
		Tenants  []TenantSummary  `json:"tenants"`
	}
	if err := json.Unmarshal([]byte(rest), &parsed); err != nil {
		return nil, err
	}
	out.Summary, out.Series, out.Switches, out.Tenants = parsed.Summary, parsed.Series, parsed.Switches, parsed.Tenants
	return out, nil
}

// Aggregate is the closed-form serving model of a mean load (what a site loop uses for long
// spans), documented as agreeing with Run in docs/serving.md.
func (s *Server) Aggregate(load AggregateLoad) (AggregateServe, error) {
	var out AggregateServe
	js, err := json.Marshal(load)
	if err != nil {
		return out, invalidInput("load", err.Error())
	}
	cl, err := cString("load", string(js))
	if err != nil {
		return out, err
	}
	defer freeCString(cl)
	err = s.call(func(gpu *C.hcp_h100_t, model, config *C.char) error {
		var e *C.hcp_error_t
		p := C.hcp_serve_aggregate_json(gpu, model, config, cl, &e)
		return takeJSON(p, e, &out)
	})
	return out, err
}

func takeRequests(p *C.char, e *C.hcp_error_t) (Requests, error) {
	var r Requests
	err := takeJSON(p, e, &r)
	return r, err
}

// AzureTrace is the shipped Azure LLM inference trace of 2023, "conv" (19,366 requests) or
// "code" (8,819); arrivals in seconds from the first request (CC-BY 4.0, Patel et al.,
// "Splitwise", ISCA 2024).
func AzureTrace(which string) (Requests, error) {
	cw, err := cString("which", which)
	if err != nil {
		return Requests{}, err
	}
	defer freeCString(cw)
	var e *C.hcp_error_t
	return takeRequests(C.hcp_azure_trace_json(cw, &e), e)
}

// ScaleTrace scales trace to a mean rate and stretches it over a duration with a diurnal and
// weekly profile, e.g. ScaleRule{MeanRatePerSecond: 20, DurationSeconds: 86400, DiurnalAmplitude: 0.5}.
func ScaleTrace(trace Requests, rule ScaleRule) (Requests, error) {
	text, err := marshalConfig("rule", rule)
	if err != nil {
		return Requests{}, err
	}
	return ScaleTraceJSON(trace, text)
}

// ScaleTraceJSON is ScaleTrace with the rule as JSON ("" for defaults), e.g.
// `{"mean_rate_per_second": 20, "duration_seconds": 86400, "diurnal_amplitude": 0.5}`.
func ScaleTraceJSON(trace Requests, ruleJSON string) (Requests, error) {
	n := len(trace.ArrivalSeconds)
	if len(trace.PromptTokens) != n || len(trace.OutputTokens) != n {
		return Requests{}, invalidInput("trace", "columns must have equal lengths")
	}
	var cr *C.char
	if ruleJSON != "" {
		var err error
		if cr, err = cString("rule", ruleJSON); err != nil {
			return Requests{}, err
		}
		defer freeCString(cr)
	}
	var e *C.hcp_error_t
	p := C.hcp_scale_trace_json(f64ptr(trace.ArrivalSeconds), i64ptr(trace.PromptTokens), i64ptr(trace.OutputTokens),
		C.size_t(n), cr, &e)
	runtime.KeepAlive(trace)
	return takeRequests(p, e)
}

// SyntheticRequests draws a seeded synthetic stream, e.g. RequestStream{Seed: 1, Requests: 1000,
// RatePerSecond: 5, Burstiness: 2, Output: FixedLength(128)}.
func SyntheticRequests(stream RequestStream) (Requests, error) {
	text, err := marshalConfig("stream", stream)
	if err != nil {
		return Requests{}, err
	}
	return SyntheticRequestsJSON(text)
}

// SyntheticRequestsJSON is SyntheticRequests with the stream as JSON ("" for defaults), e.g.
// `{"seed": 1, "requests": 1000, "rate_per_second": 5, "burstiness": 2}`.
func SyntheticRequestsJSON(streamJSON string) (Requests, error) {
	var cs *C.char
	if streamJSON != "" {
		var err error
		if cs, err = cString("stream", streamJSON); err != nil {
			return Requests{}, err
		}
		defer freeCString(cs)
	}
	var e *C.hcp_error_t
	return takeRequests(C.hcp_synthetic_requests_json(cs, &e), e)
}
