// Command go-service is hcp's API service: one Go program embedding hcp through its Go package,
// running a simulated hybrid site (a router over the site's H100s and S21s, the real market
// history replayed on a ticker, billing plans and a durable usage ledger) behind a REST API,
// Prometheus metrics and a WebSocket feed, with per-customer API keys.
//
// Run: `make serve` at the repository root, or `go run . -keys keys.example.json` here after
// `make go`. See README.md for the endpoints and the demo keys.
package main

import (
	"context"
	"fmt"
	"log"
	"net"
	"os"
	"os/signal"
	"syscall"
	"time"
)

func main() {
	log.SetFlags(log.LstdFlags | log.LUTC)
	cfg, done, err := parseFlags(os.Args[1:])
	if err != nil {
		log.Fatal(err)
	}
	if done {
		return
	}
	if err := serve(cfg); err != nil {
		log.Fatal(err)
	}
}

// serve runs the service until SIGINT or SIGTERM, then shuts down without losing a ledger write.
func serve(cfg Config) error {
	svc, err := NewService(cfg)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", cfg.Addr)
	if err != nil {
		svc.Shutdown(context.Background())
		return err
	}
	fmt.Printf("hcp service: %d devices at site %s, listening on http://%s\n", len(svc.devices), cfg.SiteID, ln.Addr())
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	served := make(chan error, 1)
	go func() { served <- svc.Serve(ln) }()
	select {
	case err := <-served:
		svc.Shutdown(context.Background())
		return err
	case <-ctx.Done():
	}
	log.Printf("shutting down: finishing requests, metering running work, closing the ledger")
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := svc.Shutdown(shutdownCtx); err != nil {
		return err
	}
	if err := <-served; err != nil {
		return err
	}
	log.Printf("stopped cleanly")
	return nil
}
