package hcpcore

import (
	"errors"
	"fmt"
	"math"
	"os"
	"reflect"
	"strings"
	"testing"
)

// The checks shared by the boundary regression tests and the fuzz targets (fuzz_test.go): every
// call returns finite numbers or an *Error of a documented kind whose message names a field; never
// a panic, a crash or a NaN.

// documented is the set of kinds a call may return for bad input. Internal is a bug in hcp (a
// caught panic, or a non-finite result the library refused to hand over).
var documented = map[ErrorKind]bool{
	KindInvalidInput: true, KindNotFound: true, KindConflict: true, KindCapacityExceeded: true,
	KindIllegalTransition: true, KindStorage: true, KindOutOfMemory: true, KindClosed: true,
}

// knownBugs are the calls named in HCP_FUZZ_KNOWN (comma-separated, e.g. "ROI,NetworkHashrateHs")
// whose Internal errors a long fuzz run tolerates, so that it goes on past core bugs already
// reported. Unset, nothing is tolerated.
var knownBugs = func() map[string]bool {
	m := map[string]bool{}
	for _, w := range strings.Split(os.Getenv("HCP_FUZZ_KNOWN"), ",") {
		if w != "" {
			m[w] = true
		}
	}
	return m
}()

// checkErr fails t unless err is nil or an *Error of a documented kind naming a field.
func checkErr(t testing.TB, what string, err error) {
	t.Helper()
	if err == nil {
		return
	}
	var he *Error
	if !errors.As(err, &he) {
		t.Fatalf("%s: error %T is not an *hcpcore.Error: %v", what, err, err)
	}
	if he.Kind() == KindInternal && knownBugs[what] {
		return
	}
	if !documented[he.Kind()] {
		t.Fatalf("%s: error of kind %v (a bug in hcp): %v", what, he.Kind(), err)
	}
	if he.Kind() == KindInvalidInput && !strings.Contains(he.Message(), ": ") {
		// "field: reason" (the field may be an empty JSON key: `: unknown field ...`).
		t.Fatalf("%s: InvalidInput message names no field: %q", what, he.Message())
	}
}

// checkFinite fails t if any float64 reachable from v (fields, elements, map values, pointers,
// interfaces) is NaN or infinite.
func checkFinite(t testing.TB, what string, v any) {
	t.Helper()
	if path := nonFinite(reflect.ValueOf(v), what); path != "" {
		t.Fatalf("non-finite number reached Go at %s", path)
	}
}

func nonFinite(v reflect.Value, path string) string {
	switch v.Kind() {
	case reflect.Float32, reflect.Float64:
		if f := v.Float(); math.IsNaN(f) || math.IsInf(f, 0) {
			return fmt.Sprintf("%s = %v", path, f)
		}
	case reflect.Pointer, reflect.Interface:
		if !v.IsNil() {
			return nonFinite(v.Elem(), path)
		}
	case reflect.Struct:
		for i := 0; i < v.NumField(); i++ {
			if v.Type().Field(i).IsExported() {
				if p := nonFinite(v.Field(i), path+"."+v.Type().Field(i).Name); p != "" {
					return p
				}
			}
		}
	case reflect.Slice, reflect.Array:
		for i := 0; i < v.Len(); i++ {
			if p := nonFinite(v.Index(i), fmt.Sprintf("%s[%d]", path, i)); p != "" {
				return p
			}
		}
	case reflect.Map:
		for it := v.MapRange(); it.Next(); {
			if p := nonFinite(it.Value(), fmt.Sprintf("%s[%v]", path, it.Key())); p != "" {
				return p
			}
		}
	}
	return ""
}

// wantInvalid fails t unless err is ErrInvalidInput whose message starts with field.
func wantInvalid(t *testing.T, what string, err error, field string) {
	t.Helper()
	if !errors.Is(err, ErrInvalidInput) {
		t.Fatalf("%s: want ErrInvalidInput naming %q, got %v", what, field, err)
	}
	if msg := err.(*Error).Message(); !strings.HasPrefix(msg, field+":") && !strings.HasPrefix(msg, field+"[") {
		t.Fatalf("%s: message %q does not start with the field %q", what, msg, field)
	}
}

// Counts and lengths are checked against the stated maximums before anything is allocated on
// either side (issue #10: SubmitBatch(n=-1) used to panic in make).
func TestCountsAreCheckedBeforeAllocating(t *testing.T) {
	r, err := NewRouter(RouterConfig{ManualClock: true})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for _, n := range []int{-1, math.MinInt, MaxBatch + 1, 1 << 45, 1 << 62, math.MaxInt} {
		_, err := r.SubmitBatch("c", "ai_inference_batch", n, nil, nil)
		wantInvalid(t, fmt.Sprintf("SubmitBatch(n=%d)", n), err, "n")
		_, err = r.SubmitBatchColumns("c", "ai_inference_batch", n, SubmitColumns{})
		wantInvalid(t, fmt.Sprintf("SubmitBatchColumns(n=%d)", n), err, "n")
		_, err = r.DispatchBatch(n)
		wantInvalid(t, fmt.Sprintf("DispatchBatch(%d)", n), err, "max")
	}
	if ids, err := r.SubmitBatch("c", "ai_inference_batch", 3, nil, nil); err != nil || len(ids) != 3 {
		t.Fatalf("SubmitBatch(3) = %v, %v", ids, err)
	}
	if a, err := r.DispatchBatch(0); err != nil || len(a.WorkloadIDs) != 0 {
		t.Fatalf("DispatchBatch(0) = %v, %v", a, err)
	}

	f, err := NewFleet(FleetConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	_, err = f.AddGPUs("sxm", math.MaxUint32)
	wantInvalid(t, "AddGPUs(2^32-1)", err, "count")
	_, err = f.AddMiners("S21", MaxFleetDevices+1)
	wantInvalid(t, "AddMiners(max+1)", err, "count")
	wantInvalid(t, "Run(2^62)", f.Run(1<<62), "steps")
	wantInvalid(t, "Run(max+1)", f.Run(MaxSteps+1), "steps")

	for _, steps := range []uint64{MaxSteps + 1, 1 << 62, math.MaxUint64} {
		_, err = MarketSeries("synthetic", "", "", 1, steps, 3600)
		wantInvalid(t, fmt.Sprintf("MarketSeries(steps=%d)", steps), err, "steps")
	}
	for _, dt := range []float64{1e308, 1e12, math.Inf(1), math.NaN(), 0, -1, 1e-9} {
		_, err = MarketSeries("synthetic", "", "", 1, 10, dt)
		wantInvalid(t, fmt.Sprintf("MarketSeries(dt=%g)", dt), err, "dt_seconds")
	}
}

// A JSON array is not a configuration (serde would read it positionally), and deep JSON is
// refused before it is parsed: InvalidInput naming the argument, never a crash.
func TestJSONDocumentsAreObjectsOfBoundedDepth(t *testing.T) {
	_, err := NewFleetJSON(`[60, 1]`)
	wantInvalid(t, "NewFleet(array)", err, "config")
	_, err = NewFleetJSON(`"dt_seconds"`)
	wantInvalid(t, "NewFleet(string)", err, "config")
	_, err = NewRouterJSON(`[0.5, true]`)
	wantInvalid(t, "NewRouter(array)", err, "config")
	_, err = NewH100JSON("sxm", `[1, 2]`)
	wantInvalid(t, "NewH100(array overrides)", err, "overrides_json")
	_, err = NewSiteFromJSON(`[[{"model": "S21", "count": 1}], 100]`)
	wantInvalid(t, "NewSiteFromJSON(array)", err, "site")
	_, err = NewCatalogJSON(`[]`)
	wantInvalid(t, "NewCatalog(array)", err, "overrides_json")

	f, err := NewFleet(FleetConfig{DTSeconds: 60})
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := f.AddGPUs("sxm", 1); err != nil {
		t.Fatal(err)
	}
	wantInvalid(t, "Command(array)", f.CommandJSON([]int64{0}, `["sleep"]`), "command")
	wantInvalid(t, "SetMarketSynthetic(array)", f.SetMarketSyntheticJSON(1, `[1, 2, 3]`), "config")

	for _, depth := range []int{MaxDepth + 1, 30_000, 1 << 20} {
		arr := strings.Repeat("[", depth) + strings.Repeat("]", depth)
		obj := strings.Repeat(`{"a":`, depth) + "1" + strings.Repeat("}", depth)
		_, err = NewFleetJSON(obj)
		wantInvalid(t, "NewFleet(deep)", err, "config")
		_, err = NewRouterJSON(obj)
		wantInvalid(t, "NewRouter(deep)", err, "config")
		_, err = NewH100JSON("sxm", obj)
		wantInvalid(t, "NewH100(deep)", err, "overrides_json")
		wantInvalid(t, "Command(deep)", f.CommandJSON([]int64{0}, obj), "command")
		wantInvalid(t, "SetMarketSynthetic(deep)", f.SetMarketSyntheticJSON(1, obj), "config")
		_, err = MarketSeries("synthetic", obj, "", 1, 2, 60)
		wantInvalid(t, "MarketSeries(deep)", err, "config")
		_, err = NewSiteFromJSON(obj)
		wantInvalid(t, "NewSiteFromJSON(deep)", err, "site")
		_, err = NewCatalogJSON(obj)
		wantInvalid(t, "NewCatalog(deep)", err, "overrides_json")
		_, err = NewChargeJSON(obj)
		wantInvalid(t, "NewCharge(deep)", err, "charge")
		_, err = NewPlanJSON(obj)
		wantInvalid(t, "NewPlan(deep)", err, "plan")
		_, err = ValidateEventJSON(obj)
		wantInvalid(t, "ValidateEvent(deep)", err, "event")
		_, err = NewMemoryLedger().IngestJSON(arr)
		wantInvalid(t, "IngestJSON(deep)", err, "events")
	}
	// MaxDepth levels are still accepted as far as depth goes (the core then judges the content).
	ok := strings.Repeat(`{"a":`, MaxDepth-1) + "1" + strings.Repeat("}", MaxDepth-1)
	_, err = NewFleetJSON(ok)
	if err == nil || strings.Contains(err.Error(), "nested deeper") {
		t.Fatalf("NewFleet(depth %d) = %v, want the core's unknown-field error", MaxDepth-1, err)
	}
}
