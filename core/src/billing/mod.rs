//! `hcpcore::billing` — meters, charge models, plans, rating, invoices and the usage ledger.
//!
//! Customers of a hybrid site pay for GPU-seconds, tokens, reserved GPUs, hashrate (TH/s-hours)
//! and energy. This module turns usage events into exact invoices:
//!
//! ```text
//! UsageEvent ──ingest──► ledger (SQLite or memory; idempotent per customer+event_id)
//!                           │ events of a period
//!                           ▼
//!               Meter (count/sum/max/unique/latest/weighted, group-by) ─► units per group
//!                           ▼
//!               Charge (standard/graduated/volume/package/percentage/graduated %/dynamic)
//!                           ▼
//!   Invoice: lines (rounded once) → minimum commitment → corrections → coupons → tax → credits
//! ```
//!
//! | file | owns |
//! | --- | --- |
//! | `time.rs` | RFC 3339 instants, civil dates |
//! | `num.rs` | exact decimals from JSON, field-path errors |
//! | `money.rs` | currencies (0/2/3 decimals) and the rounding rule |
//! | `event.rs` | usage events and their validation |
//! | `meter.rs` | aggregation of a period's events |
//! | `charge.rs` | charge models and quantity transforms |
//! | `period.rs` | billing cycles |
//! | `plan.rs` | plans, versions, subscriptions, coupons |
//! | `rating.rs` | invoices: rating, corrections, coupons, tax, credits |
//! | `invoice.rs` | invoice types and their invariant |
//! | `estimate.rs` | estimates and budgets |
//! | `ledger/` | the [`UsageStore`] trait, SQLite and in-memory stores |
//!
//! # Semantics, and where the references differ
//! Lago, OpenMeter and Stripe Billing are the references. Choices where they differ or are silent:
//! - **Tiers** are written by inclusive `up_to` (Stripe, OpenMeter); Lago's `from_value`/`to_value`
//!   ranges are not accepted. Unsorted or overlapping tiers are `InvalidInput`.
//! - **Graduated** and **volume** charge the first tier's flat fee at zero units (Lago, OpenMeter
//!   and Stripe agree), and so does a grouped meter without events, once, for the empty group.
//! - **Percentage** `rate` is a percent (`"1.2"` = 1.2 %, Lago). Free events and free amount are
//!   consumed in timestamp order and end at the first limit reached; a free amount of `"0"` is
//!   "not set"; no usage means no fixed fee. See [`charge`](ChargeModel::Percentage) docs.
//! - **Dynamic** reads `properties.precise_total_amount` (major units; Lago uses cents in
//!   `precise_total_amount_cents`) or `properties.unit_price` × value; 0 at zero units (Lago).
//! - **Negative readings** (a `latest` of −5, a signed sum netting negative) never fail an
//!   invoice: the line keeps the raw units and bills zero usage (Lago). `docs/billing.md` has the
//!   exact rules and the sources.
//! - **Count** counts events and ignores `quantity` (Lago, OpenMeter).
//! - **Quantity transform** uses Stripe's `transform_quantity {divide_by, round}` on the period's
//!   cumulative units (Stripe applies it to the total too); Lago has no equivalent.
//! - **Plan versions** price a period with the version in force at its start, always.
//! - **Pay in advance** (Lago `pay_in_advance`): allowed for standard charges on count/sum meters;
//!   billed per event via [`instant_fees`] and left off the period invoice.
//! - **Coupons** apply before tax in the order listed, each on what earlier ones left, never below
//!   zero; a `once` fixed coupon's unused remainder carries to later invoices (Lago); `recurring`
//!   counts billing periods from the subscription start.
//! - **Tax** is computed on Σ precise line amounts − discounts and rounded once per invoice, so line
//!   rounding never compounds into the tax (engines that tax each rounded fee can differ from
//!   this by a minor unit).
//! - **Late events** never change an issued invoice: the next invoice carries correction lines
//!   (fresh rating of the old period with its own version, minus everything billed for it).
//!   Stripe and Lago instead adjust the old invoice with a credit note.
//! - **Wallet** credits apply last, after tax (Lago's prepaid credits). A net-negative invoice
//!   deposits the credit into the wallet (`credits` negative), so totals are never negative.
//! - **Unknown meter**: a plan whose charge names an undeclared meter, or an estimate for one, is
//!   `InvalidInput` naming the field. The ledger stores events for any well-formed meter code
//!   (events may arrive before the plan that prices them, as in OpenMeter); events of meters a
//!   plan does not price are simply not on its invoices.
//! - **Timestamps** are RFC 3339 with an offset, or a bare date (midnight UTC); microsecond
//!   precision; leap seconds rejected.
//! - **Rounding**: half away from zero by default, banker's (`"rounding": "half_even"`) per plan.
//!   Amounts are shown at the currency's scale (`"5.00"`, `"5"` for JPY, `"5.000"` for KWD).
//!
//! # The ledger
//! [`SqliteLedger`] (the default in every binding) is one SQLite file in WAL mode: events
//! clustered by `(customer_id, timestamp, seq)` so a customer's period is one range read, a unique
//! `(customer_id, event_id)` index that is the dedupe claim (the claim and the event are one row,
//! so they commit or roll back together), a sequence counter advanced in the same transaction, and
//! the issued invoices. Each `ingest` call is one transaction; with [`Durability::Full`] (default)
//! it is fsynced before returning, with [`Durability::Normal`] it survives a process crash but the
//! last commits may be lost on power loss. The schema version is `PRAGMA user_version` (migrations
//! run in order; a newer file is refused), the file is tagged with `PRAGMA application_id`, and
//! foreign, corrupt or non-SQLite files give `Storage` errors. `core/tests/billing_crash.rs` kills
//! an ingesting child process with SIGKILL a hundred times and checks that every acknowledged
//! event is stored exactly once and that rating matches an uninterrupted run.
//! [`MemoryLedger`] has the same semantics without the file; [`Ledger`] is either, chosen at run
//! time (the bindings use it).

mod charge;
mod estimate;
mod event;
mod invoice;
mod ledger;
mod meter;
mod money;
mod num;
mod period;
mod plan;
mod rating;
mod time;

pub use charge::{Charge, ChargeModel, PercentTier, PercentageTerms, QuantityTransform, RoundDirection, Tier};
pub use estimate::{budget_status, estimate, BudgetAlert, BudgetStatus, PlannedUsage};
pub use event::{UsageEvent, MAX_ID_BYTES};
pub use invoice::{AppliedDiscount, Invoice, InvoiceLine, LineKind};
pub use ledger::{Durability, Ledger, MemoryLedger, SqliteLedger, UsageStore, SCHEMA_VERSION};
pub use meter::{Aggregation, EventValue, Meter, MeterReading};
pub use money::{Currency, Rounding};
pub use num::{decimal_from_json, parse_decimal};
pub use period::{Anchor, BillingCycle, Interval, Period};
pub use plan::{Coupon, CouponFrequency, CouponValue, Plan, PlanCharge, PlanVersion, Subscription};
pub use rating::{
    instant_fees, issue_invoice, issue_invoices, issue_invoices_cancellable, preview_invoice, MINIMUM_COMMITMENT,
};
pub use time::Timestamp;
