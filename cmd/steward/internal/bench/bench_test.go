package bench

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	_ "github.com/steward-os/steward/channels/all"    // the default configuration names the web channel
	_ "github.com/steward-os/steward/extensions/demo" // and the demo extensions

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/configs"
)

// noServe stands in for `steward serve` where a test starts no gateway in
// this process (the end-to-end run through the real one is
// cmd/steward's TestBenchSmoke).
func noServe(context.Context, []string, io.Writer) error {
	return errors.New("no gateway in this test")
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
	p, err := writeBenchFiles(dir, 3, 0)
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
	if err := Run(context.Background(), []string{"--addr", "10.0.0.1:80"}, &bad, &bad, noServe); err == nil {
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
	o := &options{concurrency: 1, turns: 20, duration: 10 * time.Second, timeout: 300 * time.Millisecond, mix: "read", mixR: 1, seed: 1}
	res, actors, err := runLoad(context.Background(), o, strings.TrimPrefix(srv.URL, "http://"), []string{"t"}, true)
	if err != nil {
		t.Fatal(err)
	}
	closeActors(actors)
	if res.Misrouted != 1 || res.Duplicates != 1 || res.Lost != 1 || res.Reconnects != 1 {
		t.Fatalf("misrouted %d, duplicates %d, lost %d, reconnects %d", res.Misrouted, res.Duplicates, res.Lost, res.Reconnects)
	}
}
