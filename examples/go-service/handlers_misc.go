package main

// handlers_misc.go owns the endpoints that are not the API proper: health, Prometheus metrics,
// the OpenAPI document and the WebSocket upgrade.

import (
	"net/http"
	"time"
)

func (s *Service) health(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	counts, err := s.router.Counts()
	if err != nil {
		return err
	}
	if _, err := s.ledger.EventCount(); err != nil {
		return err
	}
	writeJSON(w, http.StatusOK, map[string]any{
		"status": "ok", "site": s.cfg.SiteID, "devices": len(s.devices), "market_time": s.market.currentTime().Format(time.RFC3339),
		"workloads": counts,
	})
	return nil
}

func (s *Service) metricsHandler(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	s.metrics.handler.ServeHTTP(w, r)
	return nil
}

func (s *Service) openapi(w http.ResponseWriter, r *http.Request, _ *Caller) error {
	w.Header().Set("Content-Type", "application/yaml")
	_, _ = w.Write(openapiYAML)
	return nil
}

// websocket upgrades the request and streams the caller's updates, starting with a
// metrics_update of the site now.
func (s *Service) websocket(w http.ResponseWriter, r *http.Request, c *Caller) error {
	p := s.market.current()
	counts, err := s.router.Counts()
	if err != nil {
		return err
	}
	depths, err := s.router.QueueDepths()
	if err != nil {
		return err
	}
	hello := []wsMessage{{Type: msgMetrics, Data: map[string]any{"market": p, "workloads": counts, "queue_depth": depthView(depths), "cap_kw": s.site.CapKW}}}
	s.hub.serve(w, r, c, hello)
	return nil
}
