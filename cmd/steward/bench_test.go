package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/configs"
)

// TestBenchSmoke drives an embedded gateway with 4 actors for 200 turns of
// the default mix, plus the echo baseline, and checks that nothing was
// lost, misrouted or refused unexpectedly, and the JSON report's shape.
func TestBenchSmoke(t *testing.T) {
	began := time.Now()
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "--embedded", "--baseline", "--concurrency", "4", "--turns", "200", "--duration", "60s", "--json"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("bench exited %d\n%s\n%s", code, out.String(), errb.String())
	}
	var rep struct {
		Machine struct {
			CPUs  int    `json:"nproc"`
			Model string `json:"cpu_model"`
		} `json:"machine"`
		Load     *loadResult     `json:"load"`
		Baseline *loadResult     `json:"baseline"`
		Ratio    *float64        `json:"ratio_to_baseline"`
		Targets  []targetVerdict `json:"targets"`
	}
	dec := json.NewDecoder(bytes.NewReader(out.Bytes()))
	if err := dec.Decode(&rep); err != nil {
		t.Fatalf("report is not JSON: %v\n%s", err, out.String())
	}
	// The keys other tools read.
	var raw map[string]map[string]any
	_ = json.Unmarshal(out.Bytes(), &raw)
	for _, k := range []string{"turns", "turns_per_s", "latency", "latency_by_class", "errors", "lost", "misrouted", "duplicates", "unexpected_replies", "server", "ops"} {
		if _, ok := raw["load"][k]; !ok {
			t.Errorf("load.%s missing from the report", k)
		}
	}
	if rep.Machine.CPUs < 1 || rep.Machine.Model == "" {
		t.Errorf("machine %+v", rep.Machine)
	}
	l := rep.Load
	if l == nil || rep.Baseline == nil || rep.Ratio == nil {
		t.Fatalf("load, baseline or ratio missing:\n%s", out.String())
	}
	if l.Turns != 200 || l.Target != "embedded" || l.Concurrency != 4 {
		t.Errorf("load: %d turns against %q with %d actors", l.Turns, l.Target, l.Concurrency)
	}
	if l.Lost != 0 || l.Misrouted != 0 || l.Duplicates != 0 || l.OddReplies != 0 {
		t.Errorf("lost %d, misrouted %d, duplicate %d, unexpected replies %d: %v", l.Lost, l.Misrouted, l.Duplicates, l.OddReplies, l.OddSamples)
	}
	if len(l.Errors.Unexpected) != 0 {
		t.Errorf("unexpected errors %v", l.Errors.Unexpected)
	}
	if l.Ops[clsRead] == 0 || l.Latency.Count != 200 || l.Latency.P50 <= 0 || l.Latency.P99 < l.Latency.P50 || l.Latency.Max < l.Latency.P99 {
		t.Errorf("ops %v, latency %+v", l.Ops, l.Latency)
	}
	if l.TurnsPerSec <= 0 || l.ByClass[clsRead].Count == 0 {
		t.Errorf("rate %.1f, by class %v", l.TurnsPerSec, l.ByClass)
	}
	if m := l.Server; m == nil || m.Before == nil || m.After == nil || m.Before.RSSBytes <= 0 || m.After.Goroutines <= 0 {
		t.Errorf("server memory %+v", l.Server)
	}
	if b := rep.Baseline; b.Turns != 200 || b.Lost != 0 || b.Misrouted != 0 || len(b.Errors.Unexpected) != 0 || b.TurnsPerSec <= 0 {
		t.Errorf("baseline %+v", b)
	}
	if len(rep.Targets) == 0 {
		t.Error("no target verdicts")
	}
	t.Logf("%.0f turns/s (baseline %.0f), p50 %.1f ms, p99 %.1f ms, in %s", l.TurnsPerSec, rep.Baseline.TurnsPerSec, l.Latency.P50, l.Latency.P99, time.Since(began).Round(time.Millisecond))
}

func TestBenchMix(t *testing.T) {
	r, w, d, err := parseMix("default")
	if err != nil || r+w+d < 0.999 || r+w+d > 1.001 || w < 0.18 || d < 0.025 {
		t.Fatalf("default %v %v %v %v", r, w, d, err)
	}
	if r, w, d, err := parseMix("70,25,5"); err != nil || r != 0.7 || w != 0.25 || d != 0.05 {
		t.Fatalf("70,25,5: %v %v %v %v", r, w, d, err)
	}
	for _, bad := range []string{"x", "1,2", "-1,1,1", "0,0,0"} {
		if _, _, _, err := parseMix(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// The configuration --write-config writes loads, and holds one bench
// tenant per actor with the acme world.
func TestBenchWriteConfig(t *testing.T) {
	dir := t.TempDir()
	p, err := writeBenchFiles(dir, 3)
	if err != nil {
		t.Fatal(err)
	}
	cfg, err := configs.Load(p, nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := 1; i <= 3; i++ {
		tn, ok := cfg.Tenants[benchTenant(i)]
		if !ok || !tn.ConfirmLevel1 || tn.TurnsPerMinute < 1_000_000 || len(tn.Users[benchUser(i)].Roles) != 1 {
			t.Fatalf("tenant %d: %+v", i, tn)
		}
	}
	if cfg.World != filepath.Join(dir, "world.json") && !strings.HasSuffix(cfg.World, "world.json") {
		t.Fatalf("world %q", cfg.World)
	}
	var bad bytes.Buffer
	if code := run(context.Background(), []string{"bench", "--addr", "10.0.0.1:80"}, strings.NewReader(""), &bad, &bad); code == 0 {
		t.Fatal("a non-loopback --addr was accepted")
	}
}

// The checks themselves: a server that answers some turns with another
// request's id, answers one twice, and never answers one, is caught.
func TestBenchDetectsMisroutedLostDuplicate(t *testing.T) {
	up := websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}
	var n atomic.Int64
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ws, err := up.Upgrade(w, r, nil)
		if err != nil {
			return
		}
		defer ws.Close()
		prev := ""
		for {
			var f struct{ Type, ID string }
			if err := ws.ReadJSON(&f); err != nil {
				return
			}
			if f.Type == "auth" {
				_ = ws.WriteJSON(map[string]string{"type": "ready"})
				continue
			}
			turn := func(id string) {
				_ = ws.WriteJSON(map[string]any{"type": "turn", "in_reply_to": id, "turn_id": fmt.Sprintf("t_%d", n.Add(1)), "replies": []any{}})
			}
			switch i := n.Load(); {
			case i == 5:
				turn("someone-else-1") // misrouted
			case i == 9 && prev != "":
				turn(prev) // a second answer to the previous request
			case i == 14:
				n.Add(1)
				continue // lost: never answered
			}
			turn(f.ID)
			prev = f.ID
		}
	}))
	defer srv.Close()
	o := &benchOpts{concurrency: 1, turns: 20, duration: 10 * time.Second, timeout: 300 * time.Millisecond, mix: "read", mixR: 1, seed: 1}
	res, actors, err := runLoad(context.Background(), o, strings.TrimPrefix(srv.URL, "http://"), []string{"t"}, true)
	if err != nil {
		t.Fatal(err)
	}
	closeActors(actors)
	if res.Misrouted != 1 || res.Duplicates != 1 || res.Lost != 1 || res.Reconnects != 1 {
		t.Fatalf("misrouted %d, duplicates %d, lost %d, reconnects %d", res.Misrouted, res.Duplicates, res.Lost, res.Reconnects)
	}
}
