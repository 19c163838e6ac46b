package hcpcore

import (
	"bytes"
	"encoding/json"
	"errors"
	"math/big"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// billingVectors is tests/vectors/billing.json, replayed here as in the Rust, Python and Node suites.
type billingVectors struct {
	Charges []struct {
		Name          string          `json:"name"`
		Charge        json.RawMessage `json:"charge"`
		Units         json.RawMessage `json:"units"`
		Events        json.RawMessage `json:"events"`
		Expected      string          `json:"expected"`
		ExpectedError string          `json:"expected_error"`
		ErrorField    string          `json:"error_field"`
	} `json:"charges"`
	Rounding []struct {
		Amount, Currency, Rounding, Expected string
	} `json:"rounding"`
	Events []struct {
		Name          string          `json:"name"`
		Event         json.RawMessage `json:"event"`
		ExpectedError string          `json:"expected_error"`
		ErrorField    string          `json:"error_field"`
	} `json:"events"`
	Plans []struct {
		Name          string          `json:"name"`
		Plan          json.RawMessage `json:"plan"`
		ExpectedError string          `json:"expected_error"`
		ErrorField    string          `json:"error_field"`
	} `json:"plans"`
	Scenarios []struct {
		Name         string          `json:"name"`
		Plan         json.RawMessage `json:"plan"`
		Subscription json.RawMessage `json:"subscription"`
		Steps        []struct {
			Ingest        json.RawMessage `json:"ingest"`
			ExpectedNew   int             `json:"expected_new"`
			InvoiceAt     string          `json:"invoice_at"`
			ExpectedError string          `json:"expected_error"`
			Expected      *struct {
				PeriodStart   string `json:"period_start"`
				PeriodEnd     string `json:"period_end"`
				Subtotal      string `json:"subtotal"`
				DiscountTotal string `json:"discount_total"`
				Tax           string `json:"tax"`
				Credits       string `json:"credits"`
				Total         string `json:"total"`
				Lines         []struct {
					Kind               string             `json:"kind"`
					Charge             string             `json:"charge"`
					Group              map[string]*string `json:"group"`
					Units              *string            `json:"units"`
					PreciseAmount      string             `json:"precise_amount"`
					Amount             string             `json:"amount"`
					ServicePeriodStart string             `json:"service_period_start"`
				} `json:"lines"`
			} `json:"expected"`
		} `json:"steps"`
	} `json:"scenarios"`
}

func loadBillingVectors(t *testing.T) billingVectors {
	t.Helper()
	raw, err := os.ReadFile(filepath.Join("..", "..", "..", "tests", "vectors", "billing.json"))
	if err != nil {
		t.Fatal(err)
	}
	var v billingVectors
	if err := json.Unmarshal(raw, &v); err != nil {
		t.Fatal(err)
	}
	return v
}

// sameDecimal compares decimal strings by value ("10.50" == "10.5").
func sameDecimal(t *testing.T, got, want string) bool {
	t.Helper()
	g, ok1 := new(big.Rat).SetString(got)
	w, ok2 := new(big.Rat).SetString(want)
	if !ok1 || !ok2 {
		t.Fatalf("not decimals: %q %q", got, want)
	}
	return g.Cmp(w) == 0
}

func checkKind(t *testing.T, name string, err error, kind, field string) {
	t.Helper()
	var he *Error
	if !errors.As(err, &he) || he.Kind().String() != kind {
		t.Fatalf("%s: got %v, want %s", name, err, kind)
	}
	if field != "" && !strings.HasPrefix(he.message, field+":") {
		t.Fatalf("%s: message %q should name %s", name, he.message, field)
	}
}

func TestBillingChargeVectors(t *testing.T) {
	for _, c := range loadBillingVectors(t).Charges {
		charge, err := NewChargeJSON(string(c.Charge))
		var got string
		if err == nil {
			if c.Events != nil {
				got, err = charge.AmountForEventsJSON(string(c.Events))
			} else {
				units := strings.Trim(string(c.Units), `"`)
				got, err = charge.Amount(units)
			}
			charge.Close()
		}
		if c.ExpectedError != "" {
			checkKind(t, c.Name, err, c.ExpectedError, c.ErrorField)
			continue
		}
		if err != nil {
			t.Fatalf("%s: %v", c.Name, err)
		}
		if !sameDecimal(t, got, c.Expected) {
			t.Errorf("%s: got %s, want %s", c.Name, got, c.Expected)
		}
	}
}

func TestBillingRoundingEventPlanVectors(t *testing.T) {
	v := loadBillingVectors(t)
	for _, c := range v.Rounding {
		got, err := RoundAmount(c.Amount, c.Currency, c.Rounding)
		if err != nil || got != c.Expected {
			t.Errorf("round %s %s %s: got %q (%v), want %s", c.Amount, c.Currency, c.Rounding, got, err, c.Expected)
		}
	}
	for _, c := range v.Events {
		_, err := ValidateEventJSON(string(c.Event))
		if c.ExpectedError != "" {
			checkKind(t, c.Name, err, c.ExpectedError, c.ErrorField)
		} else if err != nil {
			t.Errorf("%s: %v", c.Name, err)
		}
	}
	for _, c := range v.Plans {
		_, err := NewPlanJSON(string(c.Plan))
		checkKind(t, c.Name, err, c.ExpectedError, c.ErrorField)
	}
}

func TestBillingScenarioVectors(t *testing.T) {
	dir := t.TempDir()
	for _, durable := range []bool{false, true} {
		for n, c := range loadBillingVectors(t).Scenarios {
			plan, err := NewPlanJSON(string(c.Plan))
			if err != nil {
				t.Fatal(err)
			}
			var ledger *Ledger
			if durable {
				ledger, err = OpenLedger(filepath.Join(dir, c.Name[:3]+string(rune('a'+n))+".db"), DurabilityFull)
				if err != nil {
					t.Fatal(err)
				}
			} else {
				ledger = NewMemoryLedger()
			}
			for _, step := range c.Steps {
				if step.Ingest != nil {
					got, err := ledger.IngestJSON(string(step.Ingest))
					if err != nil || got != step.ExpectedNew {
						t.Fatalf("%s: ingest got %d (%v), want %d", c.Name, got, err, step.ExpectedNew)
					}
					continue
				}
				var sub Subscription
				strictDecode(t, c.Subscription, &sub)
				inv, err := ledger.IssueInvoice(plan, sub, step.InvoiceAt)
				if step.ExpectedError != "" {
					checkKind(t, c.Name, err, step.ExpectedError, "")
					continue
				}
				if err != nil {
					t.Fatalf("%s: %v", c.Name, err)
				}
				want := step.Expected
				if len(inv.Lines) != len(want.Lines) {
					t.Fatalf("%s: %d lines, want %d: %+v", c.Name, len(inv.Lines), len(want.Lines), inv.Lines)
				}
				for i, w := range want.Lines {
					g := inv.Lines[i]
					if g.Kind != w.Kind || g.Charge != w.Charge || g.Amount != w.Amount || !sameDecimal(t, g.PreciseAmount, w.PreciseAmount) {
						t.Errorf("%s: line %d = %+v, want %+v", c.Name, i, g, w)
					}
					if w.Units != nil && !sameDecimal(t, g.Units, *w.Units) {
						t.Errorf("%s: line %d units %s, want %s", c.Name, i, g.Units, *w.Units)
					}
					if w.ServicePeriodStart != "" && g.ServicePeriod.Start != w.ServicePeriodStart {
						t.Errorf("%s: line %d service period %s", c.Name, i, g.ServicePeriod.Start)
					}
					for k, v := range w.Group {
						gv, ok := g.Group[k]
						if !ok || (v == nil) != (gv == nil) || (v != nil && *v != *gv) {
							t.Errorf("%s: line %d group %v, want %v", c.Name, i, g.Group, w.Group)
						}
					}
				}
				for _, pair := range [][3]string{
					{"subtotal", inv.Subtotal, want.Subtotal}, {"discount_total", inv.DiscountTotal, want.DiscountTotal},
					{"tax", inv.Tax, want.Tax}, {"credits", inv.Credits, want.Credits}, {"total", inv.Total, want.Total},
				} {
					if pair[1] != pair[2] {
						t.Errorf("%s: %s = %s, want %s", c.Name, pair[0], pair[1], pair[2])
					}
				}
				if want.PeriodStart != "" && (inv.Period.Start != want.PeriodStart || inv.Period.End != want.PeriodEnd) {
					t.Errorf("%s: period %+v", c.Name, inv.Period)
				}
			}
			ledger.Close()
			plan.Close()
		}
	}
}

func TestLedgerDurableCloseAndErrors(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "usage.db")
	events := make([]UsageEvent, 500)
	for i := range events {
		events[i] = UsageEvent{EventID: "e" + string(rune('A'+i%26)) + strings.Repeat("x", i/26), CustomerID: "acme",
			MeterCode: "gpu_hours", Quantity: "0.25", Timestamp: "2026-11-02T00:00:00Z", Properties: map[string]any{"gpu_model": "H100"}}
	}
	l, err := OpenLedger(path, DurabilityFull)
	if err != nil {
		t.Fatal(err)
	}
	if n, err := l.Ingest(events); err != nil || n != 500 {
		t.Fatalf("ingest: %d %v", n, err)
	}
	l.Close()
	l.Close()
	if _, err := l.Ingest(events); !errors.Is(err, ErrClosed) {
		t.Fatalf("after Close: %v", err)
	}
	l, err = OpenLedger(path, DurabilityNormal)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if n, err := l.Ingest(events); err != nil || n != 0 {
		t.Fatalf("re-ingest after reopen: %d %v", n, err)
	}
	usage, err := l.Usage("acme", []string{"gpu_hours"}, "", "")
	if err != nil || len(usage) != 500 || usage[0].Quantity != "0.25" {
		t.Fatalf("usage: %d %v", len(usage), err)
	}
	bad := events[0]
	bad.EventID, bad.Quantity = "bad", "-1"
	if _, err := l.Ingest([]UsageEvent{bad}); !errors.Is(err, ErrInvalidInput) || !strings.Contains(err.Error(), "events[0].quantity:") {
		t.Fatalf("negative quantity: %v", err)
	}
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("not a database ", 500)), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenLedger(garbage, DurabilityFull); !errors.Is(err, ErrStorage) {
		t.Fatalf("garbage file: %v", err)
	}
}

func TestInvoiceEstimateBudget(t *testing.T) {
	plan, err := NewPlan(PlanConfig{
		Code: "gpu", Currency: CurrencyConfig{Code: "USD"},
		Meters:  []MeterConfig{{Code: "gpu_hours", Aggregation: "sum", GroupBy: []string{"gpu_model"}}},
		Charges: []PlanCharge{{MeterCode: "gpu_hours", ChargeConfig: ChargeConfig{Model: "standard", Amount: "2.49"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	defer plan.Close()
	sub := Subscription{CustomerID: "acme", Start: "2026-11-01", TaxRate: "10"}
	l := NewMemoryLedger()
	defer l.Close()
	_, err = l.Ingest([]UsageEvent{
		{EventID: "e1", CustomerID: "acme", MeterCode: "gpu_hours", Quantity: "6", Timestamp: "2026-11-02T00:00:00Z", Properties: map[string]any{"gpu_model": "H100"}},
		{EventID: "e1", CustomerID: "other", MeterCode: "gpu_hours", Quantity: "100", Timestamp: "2026-11-02T00:00:00Z"},
	})
	if err != nil {
		t.Fatal(err)
	}
	inv, err := l.IssueInvoice(plan, sub, "2026-11-30T00:00:00Z")
	if err != nil || inv.Total != "16.43" || len(inv.Lines) != 1 || *inv.Lines[0].Group["gpu_model"] != "H100" {
		t.Fatalf("invoice: %+v %v", inv, err)
	}
	if _, err := l.IssueInvoice(plan, sub, "2026-11-15T00:00:00Z"); !errors.Is(err, ErrConflict) {
		t.Fatalf("second issue: %v", err)
	}
	est, err := plan.Estimate(sub, "2026-11-05", []PlannedUsage{{MeterCode: "gpu_hours", Quantity: "72"}})
	if err != nil || est.Subtotal != "179.28" {
		t.Fatalf("estimate: %+v %v", est, err)
	}
	st, err := l.BudgetStatus(plan, sub, "2026-11-11T00:00:00Z", "80", nil)
	if err != nil || st.SpendToDate != "14.94" || len(st.Alerts) != 1 || st.Alerts[0].ThresholdPercent != "50" || st.Alerts[0].Reached {
		t.Fatalf("budget: %+v %v", st, err)
	}
}

// strictDecode decodes JSON into a typed configuration, refusing a field the struct lacks, so a
// shared vector using a field the Go types do not know fails here instead of being dropped.
func strictDecode(t *testing.T, text []byte, out any) {
	t.Helper()
	dec := json.NewDecoder(bytes.NewReader(text))
	dec.DisallowUnknownFields()
	if err := dec.Decode(out); err != nil {
		t.Fatalf("decoding %s into %T: %v", text, out, err)
	}
}
