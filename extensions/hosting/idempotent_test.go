package hosting

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/sdk"
)

// A server change or a snapshot called again with the same idempotency
// key answers what it did and changes nothing; Reconcile tells the kernel
// which calls a crash cut off took effect.
func TestChangesHonourTheIdempotencyKey(t *testing.T) {
	w := newWorld(t, "acme")
	w.env.Key = "ik_restart"
	first := w.ok(t, "restart_server", a{"server": "web-1"}).(Server)
	again := w.ok(t, "restart_server", a{"server": "web-1"}).(Server)
	if again.Restarts != first.Restarts {
		t.Fatalf("restarted twice for one call: %d then %d", first.Restarts, again.Restarts)
	}
	w.env.Key = "ik_other"
	if other := w.ok(t, "restart_server", a{"server": "web-1"}).(Server); other.Restarts != first.Restarts+1 {
		t.Fatalf("another call did not restart: %d", other.Restarts)
	}
	w.env.Key = "ik_snap"
	snap := w.ok(t, "snapshot_server", a{"server": "web-1"}).(SnapshotResult)
	if again := w.ok(t, "snapshot_server", a{"server": "web-1"}).(SnapshotResult); again != snap {
		t.Fatalf("second snapshot for one call: %+v, first %+v", again, snap)
	}
	reconcile := func(tool, key string) (any, bool, error) {
		return w.ext.Reconcile(context.Background(), w.st, sdk.Pending{Tool: tool, Key: key, Caller: alice, Args: json.RawMessage(`{"server":"web-1"}`)})
	}
	if res, known, err := reconcile("restart_server", "ik_restart"); !known || err != nil || res.(Server).Name != "web-1" {
		t.Fatalf("reconcile a restart that happened: %v %v %v", res, known, err)
	}
	if _, known, err := reconcile("restart_server", "ik_never"); known || err != nil {
		t.Fatalf("reconcile a restart with no trace: %v %v", known, err)
	}
	if res, known, err := reconcile("snapshot_server", "ik_snap"); !known || err != nil || res != snap {
		t.Fatalf("reconcile a snapshot taken: %v %v %v", res, known, err)
	}
	if _, known, err := reconcile("snapshot_server", "ik_never"); !known {
		t.Fatalf("reconcile a snapshot not taken: %v", known)
	} else {
		wantCode(t, err, sdk.CodeNotApplied)
	}
}
