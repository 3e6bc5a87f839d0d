package levels

import (
	"context"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"reflect"
	"strings"
	"sync"
	"testing"

	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// ledger is an in-memory store.Ledger that counts its reads; wrapped in
// since it also implements store.LedgerSince.
type ledger struct {
	store.Ledger
	mu            sync.Mutex
	facts         []session.Fact
	recent, delta int
}

func (l *ledger) add(sid session.SessionID, out string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.facts = append(l.facts, session.Fact{ID: int64(len(l.facts) + 1), Session: sid, Tool: "t", Args: json.RawMessage(`{}`), Output: json.RawMessage(out)})
}

// of is the session's facts after an id, oldest first, the newest limit.
func (l *ledger) of(sid session.SessionID, after int64, limit int) []session.Fact {
	var out []session.Fact
	for _, f := range l.facts {
		if f.Session == sid && f.ID > after {
			out = append(out, f)
		}
	}
	return out[max(0, len(out)-limit):]
}

// Recent is the contract's Recent, byte cap included.
func (l *ledger) Recent(_ context.Context, sid session.SessionID, c session.Cap) ([]session.Fact, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.recent++
	fs := l.of(sid, 0, c.Count)
	var keep []session.Fact
	total := 0
	for i := len(fs) - 1; i >= 0; i-- {
		size := len(fs[i].Args) + len(fs[i].Output)
		if c.Bytes > 0 && total+size > c.Bytes && len(keep) > 0 {
			break
		}
		total += size
		keep = append([]session.Fact{fs[i]}, keep...)
	}
	return keep, nil
}

type since struct{ *ledger }

func (s since) FactsSince(_ context.Context, sid session.SessionID, after int64, limit int) ([]session.Fact, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.delta++
	return s.of(sid, after, limit), nil
}

// AF-04 AF-10: the replay comes from the ring, which reads only what the
// session's ledger gained (never the whole replay again), answers what
// Recent answers, and masks what it returns masked.
func TestRecentFactsRing(t *testing.T) {
	l := &ledger{}
	r := NewRecentFacts(since{l}, NewFactMasker(redact.New()))
	c := session.Cap{Count: 3}
	get := func(sid session.SessionID, masked bool) []session.Fact {
		t.Helper()
		fs, err := r.Recent(t.Context(), sid, c, masked)
		if err != nil {
			t.Fatal(err)
		}
		return fs
	}
	if fs := get("s1", true); len(fs) != 0 {
		t.Fatalf("no facts yet: %+v", fs)
	}
	l.add("s1", `{"to":"jane@example.test"}`)
	if fs := get("s1", true); len(fs) != 1 || strings.Contains(string(fs[0].Output), "jane@") {
		t.Fatalf("masked: %+v", fs)
	}
	if fs := get("s1", false); len(fs) != 1 || !strings.Contains(string(fs[0].Output), "jane@") {
		t.Fatalf("unmasked: %+v", fs)
	}
	l.add("s2", `{"n":0}`)
	for i := 1; i <= 4; i++ {
		l.add("s1", fmt.Sprintf(`{"n":%d}`, i))
	}
	fs := get("s1", false)
	if len(fs) != 3 || string(fs[0].Output) != `{"n":2}` || string(fs[2].Output) != `{"n":4}` {
		t.Fatalf("ring of 3 after 5 facts: %+v", fs)
	}
	if l.recent != 0 {
		t.Fatalf("Recent read %d times; the ring reads only what was added", l.recent)
	}
	fs[0] = session.Fact{}
	if again := get("s1", false); again[0].ID == 0 {
		t.Fatal("a caller's change to its slice reached the ring")
	}
}

// The ring answers exactly what Recent answers, byte cap included, over
// random interleavings of facts in two sessions.
func TestRecentFactsMatchesRecent(t *testing.T) {
	l := &ledger{}
	r := NewRecentFacts(since{l}, NewFactMasker(redact.New()))
	rnd := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 300; i++ {
		sid := session.SessionID(fmt.Sprintf("s%d", rnd.IntN(2)))
		if rnd.IntN(3) > 0 {
			l.add(sid, fmt.Sprintf(`{"v":%q}`, strings.Repeat("x", rnd.IntN(40))))
		}
		c := session.Cap{Count: 5, Bytes: 120}
		got, err := r.Recent(t.Context(), sid, c, false)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := l.Recent(t.Context(), sid, c)
		if len(got) != len(want) || (len(want) > 0 && !reflect.DeepEqual(got, want)) {
			t.Fatalf("step %d %s: ring %v, Recent %v", i, sid, ids(got), ids(want))
		}
	}
}

func ids(fs []session.Fact) []int64 {
	out := make([]int64, len(fs))
	for i, f := range fs {
		out[i] = f.ID
	}
	return out
}

// Over a back-end without LedgerSince every call reads Recent.
func TestRecentFactsWithoutSince(t *testing.T) {
	l := &ledger{}
	r := NewRecentFacts(l, NewFactMasker(redact.New()))
	l.add("s1", `{"to":"jane@example.test"}`)
	for range 3 {
		fs, err := r.Recent(t.Context(), "s1", session.Cap{Count: 20}, true)
		if err != nil || len(fs) != 1 || strings.Contains(string(fs[0].Output), "jane@") {
			t.Fatalf("%v %+v", err, fs)
		}
	}
	if l.recent != 3 {
		t.Fatalf("%d reads, want 3", l.recent)
	}
}
