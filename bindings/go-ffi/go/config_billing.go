//go:build cgo

package hcpcore

import "encoding/json"

// Billing configurations (hcpcore::billing; semantics in docs/billing.md, field names Lago's).
// Amounts, quantities and rates are decimal strings ("0.001", "20"): exact, never floats. An
// empty string is left out of the JSON: an optional field then takes the core's default, and a
// required one is reported as ErrInvalidInput naming it ("amount: required").

// ChargeConfig is a priced charge. Model picks which other fields apply:
//
//   - "standard": Amount per unit.
//   - "graduated": Tiers, each unit priced by the tier it falls in (PerUnitAmount, FlatAmount).
//   - "volume": Tiers, every unit priced by the tier the total falls in.
//   - "package": Amount per started package of PackageSize units, after FreeUnits.
//   - "percentage": Rate percent of each event's amount, plus FixedAmount per event, with the
//     free allowances and per-transaction bounds below.
//   - "graduated_percentage": Tiers with a Rate percent each (and FlatAmount).
//   - "dynamic": each event carries its own price (properties unit_price / precise_total_amount).
type ChargeConfig struct {
	// Model is standard, graduated, volume, package, percentage, graduated_percentage or
	// dynamic. Required.
	Model string `json:"model"`
	// Amount is the price per unit (standard) or per package (package), >= 0.
	Amount string `json:"amount,omitempty"`
	// Tiers are the tiers of graduated, volume and graduated_percentage, sorted by UpTo; the
	// last is open (UpTo "").
	Tiers []ChargeTier `json:"tiers,omitempty"`
	// PackageSize is the units per package (package), > 0.
	PackageSize string `json:"package_size,omitempty"`
	// FreeUnits are the units given free before the first package (package). Default "0".
	FreeUnits string `json:"free_units,omitempty"`
	// Rate is the percentage of each event's amount (percentage), >= 0.
	Rate string `json:"rate,omitempty"`
	// FixedAmount is a fee per event (percentage). Default "0".
	FixedAmount string `json:"fixed_amount,omitempty"`
	// FreeUnitsPerEvents is the number of first events that are free (percentage); nil: none.
	FreeUnitsPerEvents *uint64 `json:"free_units_per_events,omitempty"`
	// FreeUnitsPerTotalAggregation is the amount given free (percentage); "" for none.
	FreeUnitsPerTotalAggregation string `json:"free_units_per_total_aggregation,omitempty"`
	// PerTransactionMinAmount is the least fee per event (percentage); "" for none.
	PerTransactionMinAmount string `json:"per_transaction_min_amount,omitempty"`
	// PerTransactionMaxAmount is the most fee per event (percentage); "" for none.
	PerTransactionMaxAmount string `json:"per_transaction_max_amount,omitempty"`
	// TransformQuantity is applied to the cumulative units before the model; nil for none.
	TransformQuantity *QuantityTransform `json:"transform_quantity,omitempty"`
}

// ChargeTier is one tier of a graduated, volume or graduated_percentage charge.
type ChargeTier struct {
	// UpTo is the tier's last unit (inclusive); "" for the last, open tier.
	UpTo string `json:"up_to,omitempty"`
	// PerUnitAmount is the price of each unit in the tier (graduated, volume). Default "0".
	PerUnitAmount string `json:"per_unit_amount,omitempty"`
	// FlatAmount is a fee for reaching the tier. Default "0".
	FlatAmount string `json:"flat_amount,omitempty"`
	// Rate is the tier's percentage (graduated_percentage), >= 0.
	Rate string `json:"rate,omitempty"`
}

// QuantityTransform divides the units before a charge prices them (e.g. seconds to hours).
type QuantityTransform struct {
	// DivideBy is the divisor, > 0. Required.
	DivideBy string `json:"divide_by"`
	// Round is "up" (the default) or "down".
	Round string `json:"round,omitempty"`
}

// PlanConfig is a billing plan: currency, interval, meters, charges and versions.
type PlanConfig struct {
	// Code names the plan. Default "plan".
	Code string `json:"code,omitempty"`
	// Currency of every amount. Required.
	Currency CurrencyConfig `json:"currency"`
	// Interval is the period: weekly, monthly (the default), quarterly or yearly.
	Interval string `json:"interval,omitempty"`
	// Rounding is the rule for lines, discounts and tax: "half_away_from_zero" (the default) or
	// "half_even".
	Rounding string `json:"rounding,omitempty"`
	// Meters declare what is measured; every charge names one.
	Meters []MeterConfig `json:"meters,omitempty"`
	// Charges price the meters.
	Charges []PlanCharge `json:"charges,omitempty"`
	// MinimumCommitment is the least a period costs (a line tops it up); "" for none.
	MinimumCommitment string `json:"minimum_commitment,omitempty"`
	// Versions are later versions of the charges, each effective from an instant.
	Versions []PlanVersion `json:"versions,omitempty"`
}

// CurrencyConfig is an ISO 4217 code ("USD"; its minor units are known) or any code with an
// explicit number of decimals (MinorUnits 0..=8).
type CurrencyConfig struct {
	Code       string  // 1-8 letters or digits
	MinorUnits *uint32 // nil for an ISO 4217 code's own
}

// MarshalJSON writes the code alone, or {"code", "minor_units"} when MinorUnits is set.
func (c CurrencyConfig) MarshalJSON() ([]byte, error) {
	if c.MinorUnits == nil {
		return json.Marshal(c.Code)
	}
	return json.Marshal(Currency{Code: c.Code, MinorUnits: *c.MinorUnits})
}

// MeterConfig declares a meter: how a plan aggregates the events of one meter code.
type MeterConfig struct {
	// Code is the meter code events carry. Required.
	Code string `json:"code"`
	// Aggregation is count, sum, max, unique_count, latest or weighted_sum. Required.
	Aggregation string `json:"aggregation"`
	// FieldName is the event property aggregated (all but count).
	FieldName string `json:"field_name,omitempty"`
	// GroupBy splits the readings by these event properties.
	GroupBy []string `json:"group_by,omitempty"`
	// WeightedMode (weighted_sum): "delta" (the default; each event adds) or "level" (each
	// event sets the running total).
	WeightedMode string `json:"weighted_mode,omitempty"`
	// Name is shown on invoices. Default: the code.
	Name string `json:"name,omitempty"`
}

// PlanCharge is a charge on one of the plan's meters.
type PlanCharge struct {
	// MeterCode names a meter declared in the plan. Required.
	MeterCode string `json:"meter_code"`
	// Name is the line's name on invoices. Default: the meter's name.
	Name string `json:"name,omitempty"`
	// PayInAdvance bills each event when it arrives (standard charges on count or sum meters
	// only, see Plan.InstantFees). Default false.
	PayInAdvance bool `json:"pay_in_advance,omitempty"`
	// MinAmount is the least this charge bills per period, a decimal string: usage below it
	// gets a charge_minimum true-up line (docs/billing.md, spending limits). Default: none.
	MinAmount string `json:"min_amount,omitempty"`
	// MaxAmount is the most this charge bills per period, a decimal string: usage above it
	// gets a charge_maximum line taking the excess off. Default: none.
	MaxAmount string `json:"max_amount,omitempty"`
	// ChargeConfig is the price (its fields sit beside MeterCode in the JSON).
	ChargeConfig
}

// PlanVersion replaces the plan's charges and minimum commitment from an instant on.
type PlanVersion struct {
	// EffectiveFrom is an RFC 3339 instant, after the previous version's. Required.
	EffectiveFrom string `json:"effective_from"`
	// Charges of this version.
	Charges []PlanCharge `json:"charges,omitempty"`
	// MinimumCommitment of this version; "" for none.
	MinimumCommitment string `json:"minimum_commitment,omitempty"`
}

// Subscription is a customer on a plan, from Start.
type Subscription struct {
	// CustomerID is the customer billed. Required.
	CustomerID string `json:"customer_id"`
	// Start is an RFC 3339 instant or a date ("2026-11-01"). Required.
	Start string `json:"start"`
	// PlanCode, when set, must be the plan's code.
	PlanCode string `json:"plan_code,omitempty"`
	// BillingAnchor: periods start on calendar boundaries ("calendar", the default) or on the
	// subscription's start ("subscription").
	BillingAnchor string `json:"billing_anchor,omitempty"`
	// TaxRate is a percentage ("20" for 20 %). Default "0".
	TaxRate string `json:"tax_rate,omitempty"`
	// WalletCredits is prepaid credit consumed by invoices. Default "0".
	WalletCredits string `json:"wallet_credits,omitempty"`
	// Coupons applied to the subscription's invoices.
	Coupons []Coupon `json:"coupons,omitempty"`
}

// Coupon is a discount on a subscription's invoices.
type Coupon struct {
	// Code names the coupon. Required.
	Code string `json:"code"`
	// CouponType is "fixed_amount" (Amount off) or "percentage" (PercentageRate off). Required.
	CouponType string `json:"coupon_type"`
	// Amount off each invoice it applies to (fixed_amount).
	Amount string `json:"amount,omitempty"`
	// PercentageRate off each invoice it applies to, percent (percentage).
	PercentageRate string `json:"percentage_rate,omitempty"`
	// Frequency is "once" (the default), "forever" or "recurring" (for FrequencyDuration
	// periods).
	Frequency string `json:"frequency,omitempty"`
	// FrequencyDuration is the number of periods of a recurring coupon.
	FrequencyDuration uint32 `json:"frequency_duration,omitempty"`
}

// PlannedUsage is usage Plan.Estimate prices: a quantity of one meter, with the properties its
// meter reads.
type PlannedUsage struct {
	MeterCode  string         `json:"meter_code"`
	Quantity   string         `json:"quantity"`
	Properties map[string]any `json:"properties,omitempty"`
}

// ChargeEvent is one event priced by Charge.AmountForEvents: its quantity and the properties a
// percentage or dynamic charge reads (unit_price, precise_total_amount).
type ChargeEvent struct {
	Quantity   string         `json:"quantity"`
	Properties map[string]any `json:"properties,omitempty"`
}
