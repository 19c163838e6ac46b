package main

// handlers_billing.go owns the billing endpoints: a customer's metered usage with its open
// period's rated lines and budget, its invoices (issued, and the open period's preview), and the
// estimate of planned usage. hcp's ledger and plans do all the rating; a customer key reaches
// only its own customer.

import (
	"fmt"
	"net/http"
	"strconv"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// timeParam reads an RFC 3339 query parameter ("" when absent).
func timeParam(r *http.Request, name string) (string, error) {
	v := r.URL.Query().Get(name)
	if v == "" {
		return "", nil
	}
	if _, err := time.Parse(time.RFC3339Nano, v); err != nil {
		return "", badRequest("%s: must be an RFC 3339 time such as 2026-11-01T00:00:00Z, got %q", name, v)
	}
	return v, nil
}

func (s *Service) billingUsage(w http.ResponseWriter, r *http.Request, c *Caller) error {
	customer, err := c.customerScope(r.URL.Query().Get("customer_id"), true)
	if err != nil {
		return err
	}
	start, err := timeParam(r, "start")
	if err != nil {
		return err
	}
	end, err := timeParam(r, "end")
	if err != nil {
		return err
	}
	pl, sub, budget := s.subscription(customer)
	meters := r.URL.Query()["meter_code"]
	if len(meters) == 0 {
		meters = pl.meters
	}
	at := s.now().UTC().Format(time.RFC3339Nano)
	preview, err := s.ledger.PreviewInvoice(pl.plan, sub, at)
	if err != nil {
		return err
	}
	if start == "" && end == "" {
		start, end = preview.Period.Start, preview.Period.End
	}
	events, err := s.ledger.Usage(customer, meters, start, end)
	if err != nil {
		return err
	}
	if events == nil {
		events = []hcpcore.UsageEvent{}
	}
	out := map[string]any{
		"customer_id": customer, "plan_code": pl.code, "start": start, "end": end, "meter_codes": meters,
		"events": events, "open_period": preview.Period, "lines": preview.Lines, "currency": preview.Currency.Code,
		"budget": nil,
	}
	if budget != "" {
		st, err := s.ledger.BudgetStatus(pl.plan, sub, at, budget, nil)
		if err != nil {
			return err
		}
		out["budget"] = st
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Service) billingInvoices(w http.ResponseWriter, r *http.Request, c *Caller) error {
	requested := r.URL.Query().Get("customer_id")
	customer, err := c.customerScope(requested, false)
	if err != nil {
		return err
	}
	customers := []string{customer}
	if customer == "" {
		customers = s.knownCustomers()
	}
	at := s.now().UTC().Format(time.RFC3339Nano)
	type customerInvoices struct {
		CustomerID string            `json:"customer_id"`
		PlanCode   string            `json:"plan_code"`
		Issued     []hcpcore.Invoice `json:"issued"`
		Open       *hcpcore.Invoice  `json:"open"` // the open period so far, not issued
	}
	out := []customerInvoices{}
	for _, cust := range customers {
		pl, sub, _ := s.subscription(cust)
		issued, err := s.ledger.Invoices(cust)
		if err != nil {
			return err
		}
		if issued == nil {
			issued = []hcpcore.Invoice{}
		}
		open, err := s.ledger.PreviewInvoice(pl.plan, sub, at)
		if err != nil {
			return err
		}
		out = append(out, customerInvoices{cust, pl.code, issued, open})
	}
	writeJSON(w, http.StatusOK, map[string]any{"customers": out})
	return nil
}

// estimateRequest is POST /api/v1/billing/estimate's body.
type estimateRequest struct {
	CustomerID string `json:"customer_id"`
	At         string `json:"at"` // an instant in the period to estimate; now when empty
	Usage      []struct {
		MeterCode  string         `json:"meter_code"`
		Quantity   any            `json:"quantity"` // a decimal string or a number
		Properties map[string]any `json:"properties,omitempty"`
	} `json:"usage"`
}

func (s *Service) billingEstimate(w http.ResponseWriter, r *http.Request, c *Caller) error {
	var req estimateRequest
	if err := decodeBody(r, &req); err != nil {
		return err
	}
	customer, err := c.customerScope(req.CustomerID, true)
	if err != nil {
		return err
	}
	if req.Usage == nil {
		return badRequest("usage: required, e.g. [{\"meter_code\": \"gpu_seconds\", \"quantity\": \"3600\"}]")
	}
	at := req.At
	if at == "" {
		at = s.now().UTC().Format(time.RFC3339Nano)
	}
	usage := make([]hcpcore.PlannedUsage, len(req.Usage))
	for i, u := range req.Usage {
		q, err := decimalText(fmt.Sprintf("usage[%d].quantity", i), u.Quantity)
		if err != nil {
			return err
		}
		usage[i] = hcpcore.PlannedUsage{MeterCode: u.MeterCode, Quantity: q, Properties: u.Properties}
	}
	pl, sub, _ := s.subscription(customer)
	inv, err := pl.plan.Estimate(sub, at, usage)
	if err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{"customer_id": customer, "plan_code": pl.code, "estimate": inv})
	return nil
}

// decimalText is a quantity given as a decimal string or a JSON number, as the decimal string the
// core reads (a number in its shortest form, as the core would print it).
func decimalText(field string, v any) (string, error) {
	switch q := v.(type) {
	case string:
		return q, nil
	case float64:
		return strconv.FormatFloat(q, 'f', -1, 64), nil
	}
	return "", badRequest("%s: must be a decimal string or a number", field)
}
