package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel/audit"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
	"github.com/steward-os/steward/session/store/sqlite"
)

// AF-12 OBS-06: the ledger check fails on a fact that no "result" record
// names — an outcome recorded without its result — and passes while every
// fact has its record.
func TestVerifyLedgerOutcomeWithoutResult(t *testing.T) {
	ctx := context.Background()
	st, err := sqlite.Open(ctx, t.TempDir(), nil)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	log := audit.New(st, redact.New(), time.Now)
	f := session.Fact{Session: "s:acme:alice", Turn: "t_1", Step: "s1", Tool: "tasks.create_task", Args: json.RawMessage(`{}`), OK: true, Output: json.RawMessage(`{"id":"T-9"}`), At: time.Now()}
	sum := sha256.Sum256(f.Output)
	if _, err := st.Record(ctx, f, func(id int64) []store.AuditEntry {
		e, err := log.Entry("acme", "alice", "t_1", audit.KindResult, map[string]any{"fact": id, "output_sha256": hex.EncodeToString(sum[:])})
		if err != nil {
			t.Error(err)
		}
		return []store.AuditEntry{e}
	}); err != nil {
		t.Fatal(err)
	}
	rep, err := audit.VerifyLedger(ctx, st, st)
	if err != nil || !rep.OK || rep.Checked != 1 {
		t.Fatalf("a fact with its result record: %+v %v", rep, err)
	}
	planted, err := st.Record(ctx, f, nil) // an outcome recorded without its result
	if err != nil {
		t.Fatal(err)
	}
	rep, err = audit.VerifyLedger(ctx, st, st)
	if err != nil || rep.OK || rep.Fact != planted || len(rep.Unrecorded) != 1 || !strings.Contains(rep.Reason, "outcome recorded without result") {
		t.Fatalf("a fact without its result record: %+v %v", rep, err)
	}
}
