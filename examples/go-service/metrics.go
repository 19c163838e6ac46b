package main

// metrics.go owns /metrics. The router's own series (orchestrator_allocations_total,
// orchestrator_allocation_duration_seconds, orchestrator_active_workloads,
// router_workloads_queued_total, router_queue_depth, router_decision_duration_seconds and the rest
// of hcp's router exposition) are counted inside hcp and gathered from Router.MetricsText at each
// scrape; the optimizer series count the service's calls into hcp's economics and show the
// prices the site runs at. One client_golang registry serves both.

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

type metrics struct {
	registry     *prometheus.Registry
	calculations *prometheus.CounterVec
	calcDuration *prometheus.HistogramVec
	prices       *prometheus.GaugeVec
	handler      http.Handler
}

func newMetrics(router *hcpcore.Router) *metrics {
	m := &metrics{
		registry: prometheus.NewRegistry(),
		calculations: prometheus.NewCounterVec(prometheus.CounterOpts{
			Name: "optimizer_profitability_calculations_total",
			Help: "Profitability calculations made through hcp's economics, by kind (site_plan, action_values, miner_daily, gpu_daily, capacity_plan) and result.",
		}, []string{"kind", "result"}),
		calcDuration: prometheus.NewHistogramVec(prometheus.HistogramOpts{
			Name:    "optimizer_calculation_duration_seconds",
			Help:    "Time of one profitability calculation through hcp's economics, by kind.",
			Buckets: prometheus.ExponentialBuckets(1e-6, 4, 12),
		}, []string{"kind"}),
		prices: prometheus.NewGaugeVec(prometheus.GaugeOpts{
			Name: "optimizer_current_prices",
			Help: "The market the site runs at now, by price (btc_usd, electricity_usd_per_kwh, electricity_usd_per_mwh, gpu_usd_per_hour, hashprice_usd_per_ph_day, difficulty).",
		}, []string{"price"}),
	}
	m.registry.MustRegister(m.calculations, m.calcDuration, m.prices,
		collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	routerGatherer := prometheus.GathererFunc(func() ([]*dto.MetricFamily, error) {
		text, err := router.MetricsText()
		if err != nil {
			return nil, err
		}
		parser := expfmt.NewTextParser(model.UTF8Validation)
		families, err := parser.TextToMetricFamilies(strings.NewReader(text))
		if err != nil {
			return nil, fmt.Errorf("router metrics: %w", err)
		}
		out := make([]*dto.MetricFamily, 0, len(families))
		for _, f := range families {
			out = append(out, f)
		}
		return out, nil
	})
	m.handler = promhttp.HandlerFor(prometheus.Gatherers{m.registry, routerGatherer}, promhttp.HandlerOpts{ErrorHandling: promhttp.ContinueOnError})
	return m
}

// observe times one economics call of kind and counts it by result.
func (m *metrics) observe(kind string, call func() error) error {
	start := time.Now()
	err := call()
	m.calcDuration.WithLabelValues(kind).Observe(time.Since(start).Seconds())
	result := "ok"
	if err != nil {
		result = "error"
	}
	m.calculations.WithLabelValues(kind, result).Inc()
	return err
}

// setPrices shows the market the site runs at.
func (m *metrics) setPrices(p marketPoint, hashpriceUSDPerPHDay float64) {
	m.prices.WithLabelValues("btc_usd").Set(p.BTCUSD)
	m.prices.WithLabelValues("difficulty").Set(p.Difficulty)
	m.prices.WithLabelValues("electricity_usd_per_mwh").Set(p.ElectricityUSDPerMWh)
	m.prices.WithLabelValues("electricity_usd_per_kwh").Set(p.ElectricityUSDPerKWh)
	m.prices.WithLabelValues("gpu_usd_per_hour").Set(p.GPUUSDPerHour)
	m.prices.WithLabelValues("hashprice_usd_per_ph_day").Set(hashpriceUSDPerPHDay)
}
