package sqlite_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/sqlite"
)

func open(t testing.TB, dir ...string) *sqlite.Store {
	d := t.TempDir()
	if len(dir) > 0 {
		d = dir[0]
	}
	st, err := sqlite.Open(context.Background(), d, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

// Concurrent appends are group-committed and still form gap-free chains.
func TestAuditGroupCommitChains(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			tenant := session.TenantID([]string{"a", "b"}[i%2])
			for j := 0; j < 25; j++ {
				if _, err := st.AppendAudit(ctx, store.AuditEntry{Tenant: tenant, At: time.Now(), Kind: "k", Actor: "x", Data: json.RawMessage(`{"i":1}`)}); err != nil {
					t.Error(err)
				}
			}
		}(i)
	}
	wg.Wait()
	for _, tenant := range []session.TenantID{"a", "b"} {
		prev, seq := store.GenesisHash, int64(0)
		err := st.AuditChain(ctx, tenant, func(r store.AuditRow) error {
			seq++
			if r.Seq != seq || r.Prev != prev || store.ChainHash(r) != r.Hash {
				t.Fatalf("%s: bad record %d", tenant, r.Seq)
			}
			prev = r.Hash
			return nil
		})
		if err != nil || seq != 200 {
			t.Fatalf("%s: %d records, %v", tenant, seq, err)
		}
		hs, hh, _ := st.AuditHead(ctx, tenant)
		if hs != 200 || hh != prev {
			t.Fatalf("head %d %s", hs, hh)
		}
	}
}

func TestProposalTransitionsAreAtomic(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	p := store.ProposalRow{ID: "p_1", Tenant: "a", Actor: "x", State: store.ProposalPending, ExpiresAt: time.Now().Add(time.Minute)}
	if err := st.CreateProposal(ctx, p); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	wins := make(chan bool, 10)
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			ok, err := st.TransitionProposal(ctx, "p_1", store.ProposalPending, store.ProposalExecuting, time.Now(), nil)
			if err != nil {
				t.Error(err)
			}
			wins <- ok
		}()
	}
	wg.Wait()
	close(wins)
	n := 0
	for w := range wins {
		if w {
			n++
		}
	}
	if n != 1 {
		t.Fatalf("%d winners", n)
	}
	if _, err := st.GetProposal(ctx, "p_nope"); err != store.ErrNotFound {
		t.Fatalf("missing proposal: %v", err)
	}
}

func TestLedgerCap(t *testing.T) {
	st := open(t)
	ctx := context.Background()
	for i := 0; i < 10; i++ {
		if _, err := st.Record(ctx, session.Fact{Session: "s", Tool: "t", Args: json.RawMessage(`{}`), OK: true, Output: json.RawMessage(`{"pad":"` + string(make([]byte, 0)) + `0123456789"}`), At: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
	}
	fs, _ := st.Recent(ctx, "s", session.Cap{Count: 4})
	if len(fs) != 4 || fs[0].ID >= fs[3].ID {
		t.Fatalf("count cap: %d", len(fs))
	}
	fs, _ = st.Recent(ctx, "s", session.Cap{Count: 10, Bytes: 60})
	if len(fs) != 2 {
		t.Fatalf("byte cap: %d", len(fs))
	}
}

func BenchmarkAuditAppendParallel(b *testing.B) {
	st := open(b)
	ctx := context.Background()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if _, err := st.AppendAudit(ctx, store.AuditEntry{Tenant: "a", At: time.Now(), Kind: "k", Actor: "x", Data: json.RawMessage(`{}`)}); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// The database file and its -wal and -shm files are private to their
// owner (0600), whatever the umask, and files an older build left
// readable are narrowed when the store opens.
func TestDataFilesPrivate(t *testing.T) {
	dir := t.TempDir()
	check := func(when string) {
		t.Helper()
		for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
			fi, err := os.Stat(filepath.Join(dir, name))
			if err != nil {
				t.Fatalf("%s: %v", when, err)
			}
			if fi.Mode().Perm() != 0o600 {
				t.Errorf("%s: %s has mode %v", when, name, fi.Mode().Perm())
			}
		}
	}
	reopen := func() *sqlite.Store {
		st, err := sqlite.Open(context.Background(), dir, nil)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := st.Record(context.Background(), session.Fact{Session: "s", Tool: "t", Args: json.RawMessage(`{}`), OK: true, At: time.Now()}, nil); err != nil {
			t.Fatal(err)
		}
		return st
	}
	st := reopen()
	check("new store")
	st.Close()
	for _, name := range []string{sqlite.FileName, sqlite.FileName + "-wal", sqlite.FileName + "-shm"} {
		if err := os.Chmod(filepath.Join(dir, name), 0o644); err != nil && !os.IsNotExist(err) {
			t.Fatal(err)
		}
	}
	st = reopen()
	defer st.Close()
	check("reopened")
}

// A file an older build created (executions and inbound without their new
// columns) is upgraded when it opens: its rows stay, and the new columns
// work.
func TestUpgradeOlderFile(t *testing.T) {
	dir := t.TempDir()
	db, err := sql.Open("sqlite", "file:"+filepath.Join(dir, sqlite.FileName))
	if err != nil {
		t.Fatal(err)
	}
	_, err = db.Exec(`CREATE TABLE executions (key TEXT PRIMARY KEY, at TEXT NOT NULL);
CREATE TABLE inbound (key TEXT PRIMARY KEY, at TEXT NOT NULL, outcome TEXT);
INSERT INTO executions VALUES ('proposal:p_old', '2025-01-01T00:00:00Z');
INSERT INTO inbound VALUES ('old', '2025-01-01T00:00:00Z', '{"turn_id":"t_old"}');`)
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	st := open(t, dir)
	ctx := context.Background()
	if _, err := st.Execution(ctx, "proposal:p_old"); err != nil {
		t.Fatalf("old claim: %v", err)
	}
	if first, out, err := st.ClaimInbound(ctx, "old", "any", time.Now()); first || string(out) != `{"turn_id":"t_old"}` || err != nil {
		t.Fatalf("old key: %v %s %v", first, out, err)
	}
	if first, _, err := st.ClaimDispatch(ctx, store.Execution{Key: "k/s1", Inbound: "k", Tool: "x.y", ClaimedAt: time.Now()}); !first || err != nil {
		t.Fatalf("claim after upgrade: %v %v", first, err)
	}
}
