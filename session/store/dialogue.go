package store

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steward-os/steward/session"
)

// Dialogue keeps each session's dialogue state (docs/conversation.md): a
// pending question, the last request for follow-ups, the last listed
// items. A session is an actor in a tenant, so the state is the same on
// every channel of the actor and survives a restart. The store treats the
// state as opaque JSON and guards it with a version: of concurrent writers
// that read the same version, exactly one succeeds.
type Dialogue interface {
	// DialogueState loads a session's state; a zero row (Version 0, no
	// State) when none was ever saved.
	DialogueState(ctx context.Context, s session.SessionID) (DialogueRow, error)
	// SaveDialogue stores r.State for r.Session when the stored version is
	// r.Version (0: nothing stored yet) and returns the new version (one
	// more); ErrConflict when the stored version is another.
	SaveDialogue(ctx context.Context, r DialogueRow) (int64, error)
}

// DialogueRow is one session's stored dialogue state.
type DialogueRow struct {
	Session session.SessionID
	Version int64
	State   json.RawMessage
	Updated time.Time
}
