package registry

import (
	"context"

	"github.com/steward-os/steward/session/store"
)

// NoteHook is told of every note delivered through an extension's Outbox,
// after it is stored: the kernel delivers it to the recipient's session as
// an event (docs/conversation.md, "Inbox").
type NoteHook func(ctx context.Context, n store.Note)

// OnNote sets the hook (before the first call; nil: none).
func (r *Registry) OnNote(h NoteHook) { r.onNote = h }
