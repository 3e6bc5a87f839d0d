package tasks

import (
	"context"
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/sdk"
)

// A write called again with the same idempotency key (the kernel's key
// for one request and step) answers what it did the first time and
// changes nothing; another key is another call.
func TestWritesHonourTheIdempotencyKey(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	w.env.Key = "ik_create"
	first := w.ok(t, alice, "create_task", a{"title": "call the bank"}).(Task)
	again := w.ok(t, alice, "create_task", a{"title": "call the bank"}).(Task)
	if again != first {
		t.Fatalf("second call with the key: %+v, first %+v", again, first)
	}
	w.env.Key = "ik_other"
	if other := w.ok(t, alice, "create_task", a{"title": "call the bank"}).(Task); other.ID == first.ID {
		t.Fatalf("another key reused %s", other.ID)
	}
	w.env.Key = "ik_done"
	done := w.ok(t, alice, "complete_task", a{"task": first.ID}).(Task)
	if again := w.ok(t, alice, "complete_task", a{"task": first.ID}).(Task); again != done {
		t.Fatalf("second completion with the key: %+v, first %+v", again, done)
	}
	w.env.Key = "ik_late"
	if _, err := w.call(t, alice, "complete_task", a{"task": first.ID}); code(err) != sdk.CodeConflict {
		t.Fatalf("completion by another call: %v", err)
	}
}

// Reconcile tells what became of a call a crash cut off: the task its key
// created or completed, or not_applied when no task carries the key.
func TestReconcile(t *testing.T) {
	w := newWorld(t, "acme", acme...)
	w.env.Key = "ik_create"
	created := w.ok(t, alice, "create_task", a{"title": "water the plants"}).(Task)
	w.env.Key = "ik_done"
	done := w.ok(t, alice, "complete_task", a{"task": "T-1"}).(Task)
	for _, c := range []struct {
		tool, key string
		want      any
		known     bool
		code      string
	}{
		{"create_task", "ik_create", created, true, ""},
		{"complete_task", "ik_done", done, true, ""},
		{"create_task", "ik_never", nil, true, sdk.CodeNotApplied},
		{"complete_task", "ik_create", nil, true, sdk.CodeNotApplied},
		{"list_tasks", "ik_create", nil, false, ""},
	} {
		res, known, err := w.ext.Reconcile(context.Background(), w.st, sdk.Pending{Tool: c.tool, Key: c.key, Caller: alice, Args: json.RawMessage(`{}`)})
		if known != c.known || code(err) != c.code || (c.code == "" && c.known && res != c.want) {
			t.Errorf("%s %s: %v %v %v", c.tool, c.key, res, known, err)
		}
	}
}
