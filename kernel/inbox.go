package kernel

import (
	"context"
	"fmt"

	"github.com/steward-os/steward/kernel/internal/bus"
	"github.com/steward-os/steward/kernel/internal/registry"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// deliverNotes tells a note's recipient at once: a session event on the
// recipient's channel (the delivery policy's: last used or preferred),
// like a task's result (docs/conversation.md, "Inbox"). The note itself
// stays in the recipient's inbox (messaging.list_messages).
func deliverNotes(b *bus.Bus) registry.NoteHook {
	return func(ctx context.Context, n store.Note) {
		text := fmt.Sprintf("New message m-%d from %s", n.ID, n.From)
		if n.Subject != "" {
			text += fmt.Sprintf(" (%q)", n.Subject)
		}
		text += ": " + n.Body
		to := session.SessionFor(session.Actor{Tenant: n.Tenant, ID: n.To})
		b.Publish(ctx, to, session.Outbound{Parts: []session.Part{&session.Text{Text: text}}})
	}
}
