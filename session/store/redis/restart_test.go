package redis_test

import (
	"context"
	"encoding/json"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/redis"
	"github.com/steward-os/steward/session/store/redis/redistest"
)

// SCL-03: redis-server is SIGKILLed while four writers record facts with
// their audit records, and restarted from its append-only file: every
// fact whose Record returned nil is there, with its result record, and
// the chain verifies from genesis.
func TestRedisRestartLosesNothingAcknowledged(t *testing.T) {
	srv := redistest.Start(t)
	s, err := redis.Open(t.Context(), srv.URL(), redis.Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	var mu sync.Mutex
	type ack struct {
		id   int64
		turn session.TurnID
	}
	var acked []ack // every fact whose Record returned nil
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				default:
				}
				ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
				f := session.Fact{Session: "s:acme:alice", Turn: session.TurnID(fmt.Sprintf("t_%d_%d", w, i)), Step: "s1", Tool: "hosting.list_servers",
					Args: json.RawMessage(`{}`), OK: true, Output: json.RawMessage(`[1]`), At: time.Now()}
				id, err := s.Record(ctx, f, func(id int64) []store.AuditEntry {
					return []store.AuditEntry{{Tenant: "acme", At: f.At, Kind: "result", Actor: "alice", Data: json.RawMessage(fmt.Sprintf(`{"fact":%d}`, id))}}
				})
				cancel()
				if err == nil {
					mu.Lock()
					acked = append(acked, ack{id, f.Turn})
					mu.Unlock()
				}
			}
		})
	}
	waitAcked := func(n int) {
		for {
			mu.Lock()
			got := len(acked)
			mu.Unlock()
			if got >= n {
				return
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitAcked(200)
	srv.Kill()
	mu.Lock()
	before := len(acked)
	mu.Unlock()
	srv.Restart()
	waitAcked(before + 100) // writers go on after the restart
	close(stop)
	wg.Wait()

	results := map[int64]bool{}
	seq, prev := int64(0), store.GenesisHash
	err = s.AuditChain(t.Context(), "acme", func(r store.AuditRow) error {
		seq++
		if r.Seq != seq || r.Prev != prev || r.Hash != store.ChainHash(r) {
			return fmt.Errorf("record %d does not continue the chain", seq)
		}
		prev = r.Hash
		var d struct{ Fact int64 }
		_ = json.Unmarshal(r.Data, &d)
		results[d.Fact] = true
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, a := range acked {
		f, err := s.Fact(t.Context(), a.id)
		if err != nil || f.Turn != a.turn {
			t.Fatalf("acknowledged fact %d of %s: got %s, %v", a.id, a.turn, f.Turn, err)
		}
		if !results[a.id] {
			t.Fatalf("acknowledged fact %d has no result record", a.id)
		}
	}
	t.Logf("%d facts acknowledged (%d before the kill), %d audit records, all present", len(acked), before, seq)
}

// An enqueued audit record that cannot be written (the server is down)
// makes every later append of the process fail, the barrier included,
// even once the server is back: a turn is never answered with a record
// missing from its trail.
func TestLostEnqueueFailsLaterAppends(t *testing.T) {
	srv := redistest.Start(t)
	s, err := redis.Open(t.Context(), srv.URL(), redis.Options{EnqueueTimeout: time.Second})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	e := store.AuditEntry{Tenant: "acme", At: time.Now(), Kind: "k", Actor: "alice"}
	srv.Kill()
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := s.EnqueueAudit(ctx, e); err == nil {
		t.Fatal("enqueue succeeded with the server down")
	}
	srv.Restart()
	if _, err := s.AppendAudit(t.Context()); err == nil {
		t.Fatal("the barrier after a lost record succeeded")
	}
	if _, err := s.Record(t.Context(), session.Fact{Session: "s1"}, func(int64) []store.AuditEntry { return []store.AuditEntry{e} }); err == nil {
		t.Fatal("an audited record after a lost record succeeded")
	}
}
