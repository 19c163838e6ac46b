package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"net/http"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"

	hcpcore "github.com/hcpcore/hcpcore/bindings/go-ffi/go"
)

// The built service, sent SIGTERM with work running, finishes, meters that work up to the
// signal into the SQLite ledger, and exits 0; the ledger holds every event. (The metering
// interval is an hour, so that usage in the ledger can only come from the shutdown.)
func TestGracefulShutdownOnSIGTERM(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and runs the service binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "go-service")
	build := exec.Command("go", "build", "-o", bin, ".")
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	keysPath, keys := writeKeys(t, dir)
	ledgerPath := filepath.Join(dir, "ledger.db")
	cmd := exec.Command(bin, "-addr", "127.0.0.1:0", "-keys", keysPath, "-ledger", ledgerPath, "-tick", "20ms", "-meter-interval", "1h") // only the shutdown meters
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cmd.Process.Kill() })
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("no start line: %v; stderr: %s", err, stderr.String())
	}
	_, addr, ok := strings.Cut(strings.TrimSpace(line), "listening on ")
	if !ok {
		t.Fatalf("start line: %q", line)
	}
	ts := &testService{t: t, base: addr, keys: keys}
	var ids []uint64
	for _, c := range []string{"acme", "globex"} {
		ids = append(ids, ts.submit(keys[c], map[string]any{"workload_type": "ai_inference_batch", "requirements": map[string]any{"duration_seconds": 3600}}))
	}
	for _, id := range ids {
		if w := ts.must(http.StatusOK, "GET", fmt.Sprintf("/api/v1/workloads/%d", id), keys["admin"], nil); w["state"] != "running" {
			t.Fatalf("workload %d: %v", id, w)
		}
	}
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("exit after SIGTERM: %v; stderr: %s", err, stderr.String())
	}
	if !strings.Contains(stderr.String(), "stopped cleanly") {
		t.Fatalf("stderr: %s", stderr.String())
	}

	// The ledger is closed cleanly and holds each running workload's usage up to the signal.
	ledger, err := hcpcore.OpenLedger(ledgerPath, hcpcore.DurabilityFull)
	if err != nil {
		t.Fatal(err)
	}
	defer ledger.Close()
	for i, c := range []string{"acme", "globex"} {
		events, err := ledger.Usage(c, []string{"gpu_seconds"}, "", "")
		if err != nil {
			t.Fatal(err)
		}
		var seconds float64
		for _, e := range events {
			if e.Properties["workload_id"] != json.Number(strconv.FormatUint(ids[i], 10)) && e.Properties["workload_id"] != float64(ids[i]) {
				t.Fatalf("%s: event of another workload: %+v", c, e)
			}
			q, err := strconv.ParseFloat(e.Quantity, 64)
			if err != nil || q < 0 {
				t.Fatalf("%s: quantity %q", c, e.Quantity)
			}
			seconds += q
		}
		if len(events) == 0 || seconds <= 0 {
			t.Fatalf("%s: no usage in the ledger after shutdown: %+v", c, events)
		}
	}
}
