package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"sync"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session/store/redis/redistest"
)

// restartResults counts the "result" audit records of hosting.restart_server
// in the acme chain on Redis whose data mentions want.
func restartResults(t *testing.T, url, want string) int {
	t.Helper()
	opt, err := goredis.ParseURL(url)
	if err != nil {
		t.Fatal(err)
	}
	c := goredis.NewClient(opt)
	defer c.Close()
	rows, err := c.LRange(context.Background(), "steward:{t:acme}:audit", 0, -1).Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, raw := range rows {
		var r struct{ Kind, Data string }
		if err := json.Unmarshal([]byte(raw), &r); err != nil {
			t.Fatal(err)
		}
		if r.Kind == "result" && strings.Contains(r.Data, "hosting.restart_server") && strings.Contains(r.Data, want) {
			n++
		}
	}
	return n
}

// SCL-01: two gateways on one Redis share one state: a proposal made
// through one is accepted through the other, once; two accepts of one
// proposal racing through both execute it once; the audit chain they both
// appended to verifies.
func TestScaleOutTwoInstances(t *testing.T) {
	srv := redistest.Start(t)
	a := startArgs(t, t.TempDir(), "--store", srv.URL())
	b := startArgs(t, t.TempDir(), "--store", srv.URL())

	card := firstReply(a.say("demo-alice", "restart web-1"))
	if card["type"] != "proposal" {
		t.Fatalf("want a proposal from A, got %v\n%s", card, a.logs)
	}
	id := card["proposal_id"].(string)
	if status, res := b.post("demo-alice", "/v1/proposals/"+id, map[string]string{"decision": "accept"}); status != 200 || firstReply(res)["type"] != "text" {
		t.Fatalf("accept through B: %d %v", status, res)
	}
	if status, res := a.post("demo-alice", "/v1/proposals/"+id, map[string]string{"decision": "accept"}); status != 409 || firstReply(res)["code"] != "already_executed" {
		t.Fatalf("second accept through A: %d %v", status, res)
	}

	card = firstReply(b.say("demo-alice", "restart web-2"))
	if card["type"] != "proposal" {
		t.Fatalf("want a proposal from B, got %v", card)
	}
	id = card["proposal_id"].(string)
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i, g := range []*proc{a, b} {
		wg.Go(func() {
			statuses[i], _ = g.post("demo-alice", "/v1/proposals/"+id, map[string]string{"decision": "accept"})
		})
	}
	wg.Wait()
	if ok := (statuses[0] == 200) != (statuses[1] == 200); !ok {
		t.Fatalf("concurrent accepts through A and B answered %v, want exactly one 200", statuses)
	}
	if n := restartResults(t, srv.URL(), `"restarts":1`); n != 2 {
		t.Fatalf("audit holds %d restart results with one restart each, want 2 (web-1 and web-2, once each)", n)
	}
	a.stop()
	b.stop()
	out, errOut, code := runCmd(t, "", "audit", "verify", "--store", srv.URL())
	if code != 0 || !strings.Contains(out, "ok      acme") {
		t.Fatalf("audit verify on Redis: %d %s %s", code, out, errOut)
	}
}

// SCL-01, LRO-03: a task started through B finishes on B, and the
// actor's long poll waiting on A is woken by it: one poll, no re-read
// (without the cross-instance notice it would end empty at its wait).
func TestScaleOutEventReachesOtherInstance(t *testing.T) {
	srv := redistest.Start(t)
	dir := t.TempDir()
	args := []string{"--store", srv.URL(), "--set", "tasks.inline_budget=1s", "--set", "world=" + crashWorld(t, dir)}
	a := startArgs(t, t.TempDir(), args...)
	b := startArgs(t, t.TempDir(), args...)
	var after float64
	_, m := a.get("demo-alice", "/v1/sessions/me/events?after=0")
	for _, e := range m["events"].([]any) {
		after = max(after, e.(map[string]any)["id"].(float64))
	}
	got := make(chan map[string]any, 1)
	go func() {
		_, m := a.get("demo-alice", fmt.Sprintf("/v1/sessions/me/events?after=%d&wait=25s", int64(after)))
		got <- m
	}()
	first := b.say("demo-alice", "run a health check on web-2")
	if !strings.Contains(fmt.Sprint(first), "task_") {
		t.Fatalf("not promoted to a task on B: %v", first)
	}
	m = <-got
	evs, _ := m["events"].([]any)
	if len(evs) == 0 {
		t.Fatalf("the long poll on A ended without B's event: %v", m)
	}
}
