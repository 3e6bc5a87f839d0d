package main

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	goredis "github.com/redis/go-redis/v9"

	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/redis"
)

// checkRedisCrash checks what TestCrashRecoveryRedis left in Redis.
func checkRedisCrash(t *testing.T, url string, d *crashDriver) {
	ctx := context.Background()
	s, err := redis.Open(ctx, url, redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	outcomes := checkOutcomes(t, s.Client(), d.msgs)
	// No confirmed restart ran twice: the fleet's counter equals the
	// executed restart proposals, and each proposal was confirmed once.
	executed, err := s.ProposalsInState(ctx, store.ProposalExecuted)
	if err != nil {
		t.Fatal(err)
	}
	restarts := 0
	for _, p := range executed {
		if p.Tool == "hosting.restart_server" {
			restarts++
		}
	}
	raw, _, _ := s.StateGet(ctx, "hosting", "acme", "servers", "web-1")
	var web1 struct{ Restarts int }
	_ = json.Unmarshal(raw, &web1)
	confirmed := map[string]int{}
	records := 0
	if err := s.AuditChain(ctx, "acme", func(r store.AuditRow) error {
		records++
		if r.Kind == "confirmed" {
			var c struct{ Proposal string }
			_ = json.Unmarshal(r.Data, &c)
			confirmed[c.Proposal]++
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
	for p, n := range confirmed {
		if n > 1 {
			t.Errorf("proposal %s confirmed %d times", p, n)
		}
	}
	if web1.Restarts != restarts {
		t.Errorf("web-1 restarted %d times, executed restart proposals %d", web1.Restarts, restarts)
	}
	checkLeftovers(t, s, d)
	out, errOut, code := runCmd(t, "", "audit", "verify", "--store", url)
	if code != 0 {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	summary := fmt.Sprintf("crash test (redis): turns=%d outcomes=%d proposals=%d restart-executions=%d audit-records=%d",
		len(d.msgs), outcomes, len(d.proposals), restarts, records)
	t.Log(summary)
	fmt.Println(summary)
}

// checkOutcomes checks every answered message has exactly one dedupe key
// with an outcome, and counts them.
func checkOutcomes(t *testing.T, c *goredis.Client, msgs []*sent) int {
	ctx := context.Background()
	n := 0
	for _, m := range msgs {
		keys, err := c.Keys(ctx, "steward:{g}:inbound:*\x1f"+m.id).Result()
		if err != nil {
			t.Fatal(err)
		}
		if !m.answered {
			t.Errorf("%s (%q) never got an answer", m.id, m.text)
			continue
		}
		if len(keys) != 1 {
			t.Errorf("%s has %d dedupe keys", m.id, len(keys))
			continue
		}
		if ok, _ := c.HExists(ctx, keys[0], "outcome").Result(); !ok {
			t.Errorf("%s has no outcome", m.id)
			continue
		}
		n++
	}
	return n
}

// checkLeftovers checks no level-1 write ran twice, no proposal is left
// executing and no task running.
func checkLeftovers(t *testing.T, s *redis.Store, d *crashDriver) {
	ctx := context.Background()
	vals, err := s.StateList(ctx, "tasks", "acme", "tasks")
	if err != nil {
		t.Fatal(err)
	}
	titles := map[string]int{}
	for _, v := range vals {
		var task struct{ Title string }
		_ = json.Unmarshal(v, &task)
		titles[task.Title]++
	}
	for _, m := range d.msgs {
		if n := titles[crashTitle(m.id)]; strings.HasPrefix(m.text, "add a todo") && n > 1 {
			t.Errorf("%s (%q) created %d tasks", m.id, m.text, n)
		}
	}
	if ps, _ := s.ProposalsInState(ctx, store.ProposalExecuting); len(ps) > 0 {
		t.Errorf("%d proposals left executing", len(ps))
	}
	if ts, _ := s.Tasks(ctx, "", "", store.TaskRunning); len(ts) > 0 {
		t.Errorf("%d tasks left running", len(ts))
	}
}
