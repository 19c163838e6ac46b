package main

// routes.go owns the route table: every endpoint's method, path (Go 1.22 patterns), who may call
// it, and its handler. The mux is built from this table and openapi.yaml is checked against it
// in the tests, so the two cannot drift apart.

import (
	_ "embed"
	"net/http"
	"runtime/debug"
	"strings"
)

//go:embed openapi.yaml
var openapiYAML []byte

// access says who may call a route.
type access int

const (
	public       access = iota // no key (health, metrics, the API document)
	anyKey                     // any valid key; customers are scoped to themselves in the handler
	operatorOnly               // admin or operator keys
)

type handlerFunc func(w http.ResponseWriter, r *http.Request, c *Caller) error

type route struct {
	method  string
	path    string
	access  access
	handler handlerFunc
}

func (s *Service) routeTable() []route {
	return []route{
		{"GET", "/health", public, s.health},
		{"GET", "/metrics", public, s.metricsHandler},
		{"GET", "/openapi.yaml", public, s.openapi},
		{"GET", "/ws", anyKey, s.websocket},

		{"POST", "/api/v1/workloads", anyKey, s.submitWorkload},
		{"GET", "/api/v1/workloads", anyKey, s.listWorkloads},
		{"GET", "/api/v1/workloads/{id}", anyKey, s.getWorkload},
		{"DELETE", "/api/v1/workloads/{id}", anyKey, s.cancelWorkload},
		{"GET", "/api/v1/queue/depth", anyKey, s.queueDepth},

		{"GET", "/api/v1/prices/current", anyKey, s.currentPrices},
		{"GET", "/api/v1/prices/history", anyKey, s.priceHistory},
		{"POST", "/api/v1/profitability/calculate", operatorOnly, s.calculateProfitability},
		{"GET", "/api/v1/recommendations", operatorOnly, s.recommendations},

		{"GET", "/api/v1/resources", operatorOnly, s.listResources},
		{"GET", "/api/v1/resources/{id}", operatorOnly, s.getResource},
		{"GET", "/api/v1/capacity", operatorOnly, s.capacity},

		{"GET", "/api/v1/billing/usage", anyKey, s.billingUsage},
		{"GET", "/api/v1/billing/invoices", anyKey, s.billingInvoices},
		{"POST", "/api/v1/billing/estimate", anyKey, s.billingEstimate},
	}
}

// buildMux registers the route table on a standard-library mux, wrapping each handler with the
// body limit, authentication, rate limit and role check, and answers every other path with a
// JSON 404 (or 405 where only the method is wrong).
func (s *Service) buildMux() http.Handler {
	mux := http.NewServeMux()
	methods := map[string][]string{}
	for _, rt := range s.routes {
		rt := rt
		methods[rt.path] = append(methods[rt.path], rt.method)
		mux.HandleFunc(rt.method+" "+rt.path, func(w http.ResponseWriter, r *http.Request) {
			defer recoverJSON(w, r)
			r.Body = http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes)
			var caller *Caller
			if rt.access != public {
				var err error
				if caller, err = s.keys.authenticate(w, r); err != nil {
					writeError(w, err)
					return
				}
				if rt.access == operatorOnly && !caller.IsOperator() {
					writeError(w, forbidden("%s %s needs an admin or operator key; key %q is a %s key", rt.method, rt.path, caller.Name, caller.Role))
					return
				}
			}
			if err := rt.handler(w, r, caller); err != nil {
				writeError(w, err)
			}
		})
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, notFound("no route for %s %s", r.Method, r.URL.Path))
	})
	// Go's mux answers a known path with the wrong method itself, in plain text; answer in JSON.
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if _, pattern := mux.Handler(r); pattern == "/" {
			for p, ms := range methods {
				if matchPath(p, r.URL.Path) {
					w.Header().Set("Allow", strings.Join(ms, ", "))
					writeError(w, errorf(http.StatusMethodNotAllowed, "method_not_allowed", "%s %s: allowed methods are %s", r.Method, r.URL.Path, strings.Join(ms, ", ")))
					return
				}
			}
		}
		mux.ServeHTTP(w, r)
	})
}

// recoverJSON turns a panic in a handler into a logged JSON 500 instead of a dropped connection
// (hcp itself never panics across its boundary; this guards the service's own code).
func recoverJSON(w http.ResponseWriter, r *http.Request) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler {
			panic(v)
		}
		logf("panic in %s %s: %v\n%s", r.Method, r.URL.Path, v, debug.Stack())
		writeError(w, errorf(http.StatusInternalServerError, "internal", "internal error"))
	}
}

// matchPath says whether path matches a route pattern whose {name} segments match one segment.
func matchPath(pattern, path string) bool {
	ps, xs := strings.Split(pattern, "/"), strings.Split(path, "/")
	if len(ps) != len(xs) {
		return false
	}
	for i := range ps {
		if strings.HasPrefix(ps[i], "{") && xs[i] != "" {
			continue
		}
		if ps[i] != xs[i] {
			return false
		}
	}
	return true
}
