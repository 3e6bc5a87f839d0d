package main

import (
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/telegram/telegramtest"
)

// TestAlertsCrash pages through Telegram on a schedule of several steps
// (alice three times, 2 s apart; erin twice from 3 s on, as level 1),
// kills the real binary with SIGKILL at random points of that schedule
// several times and restarts it, then counts the pages each person got
// for each alert: none lost and none repeated. CRASH_KILLS scales it.
func TestAlertsCrash(t *testing.T) {
	kills := envInt("CRASH_KILLS", 3)
	seed := uint64(time.Now().UnixNano())
	if v, err := strconv.ParseUint(os.Getenv("CRASH_SEED"), 10, 64); err == nil {
		seed = v
	}
	t.Logf("seed %d (CRASH_SEED to repeat)", seed)
	rnd := rand.New(rand.NewPCG(seed, 15))
	tg := telegramtest.Start(t, telegramtest.Options{})
	cfg := filepath.Join(t.TempDir(), "steward.yaml")
	bots := fmt.Sprintf("\ntelegram:\n  default: {tenant: acme, token_env: E2E_TG_TOKEN, api_url: %q, poll_timeout: 1s}\n", tg.APIURL())
	doc := alertsDoc(bots, "100ms", "3s", "{critical: [{channel: telegram}, {channel: telegram, after: 2s}, {channel: telegram, after: 4s}]}",
		"{default: [{channel: telegram}, {channel: telegram, after: 2s}]}")
	if err := os.WriteFile(cfg, []byte(doc), 0o600); err != nil {
		t.Fatal(err)
	}
	env := []string{"E2E_TG_TOKEN=" + tg.Token, "E2E_AM_TOKEN=am-secret"}
	data := t.TempDir()
	g := startCmd(t, data, env, []string{"--config", cfg})
	alice, erin := telegramtest.User{ID: 111, FirstName: "Alice"}, telegramtest.User{ID: 333, FirstName: "Erin"}
	for _, p := range []struct {
		tok string
		u   telegramtest.User
	}{{"demo-alice", alice}, {"demo-erin", erin}} {
		_, m := g.post(p.tok, "/v1/links", nil)
		tg.WaitConfirmed(t, tg.SendText(t, p.u, telegramtest.Private(p.u), "link "+m["code"].(string)))
	}
	const alerts = 4
	for i := range alerts {
		if st, m := g.post("am-secret", "/hooks/alertmanager/acme", amPayloadFor(i)); st != 200 {
			t.Fatalf("alertmanager: %d %v", st, m)
		}
	}
	for k := range kills {
		time.Sleep(time.Duration(200+rnd.IntN(1800)) * time.Millisecond)
		_ = g.cmd.Process.Signal(syscall.SIGKILL)
		<-g.exited
		t.Logf("kill %d", k+1)
		g = startCmd(t, data, env, []string{"--config", cfg})
	}
	count := func(chat int64, i int) int {
		n := 0
		for _, e := range tg.Events(0) {
			if e.Kind == "send" && e.ChatID == chat && strings.Contains(e.Text, fmt.Sprintf("web-%d", i)) {
				n++
			}
		}
		return n
	}
	done := func() bool {
		for i := range alerts {
			if count(alice.ID, i) < 3 || count(erin.ID, i) < 2 {
				return false
			}
		}
		return true
	}
	waitFor(t, 30*time.Second, done, func() string { return fmt.Sprint(tg.Events(0)) })
	time.Sleep(time.Second) // anything repeated late would show now
	for i := range alerts {
		if a, e := count(alice.ID, i), count(erin.ID, i); a != 3 || e != 2 {
			t.Errorf("alert %d: alice paged %d times (want 3), erin %d (want 2)", i, a, e)
			for _, ev := range tg.Events(0) {
				if ev.Kind == "send" && strings.Contains(ev.Text, fmt.Sprintf("web-%d", i)) {
					t.Logf("seq %d chat %d msg %d", ev.Seq, ev.ChatID, ev.MessageID)
				}
			}
			t.Logf("logs of the last run:\n%s", g.logs)
		}
	}
	g.stop()
}

func amPayloadFor(i int) json.RawMessage {
	return json.RawMessage(fmt.Sprintf(`{"version":"4","groupKey":"g","status":"firing","receiver":"steward","alerts":[{"status":"firing",
"labels":{"alertname":"HostDown","instance":"web-%d","severity":"critical"},"annotations":{},"startsAt":"2026-03-02T10:00:00Z",
"endsAt":"0001-01-01T00:00:00Z","fingerprint":"crash-%d"}]}`, i, i))
}
