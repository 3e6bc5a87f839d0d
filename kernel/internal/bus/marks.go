package bus

import (
	"context"

	"github.com/steward-os/steward/session"
)

// Mark reads a small durable value a channel keeps (a feed cursor, the
// message that shows a proposal). Keys are the channel's own.
func (b *Bus) Mark(ctx context.Context, key string) (string, bool, error) { return b.st.Mark(ctx, key) }

// SetMark writes a mark; an empty value deletes it.
func (b *Bus) SetMark(ctx context.Context, key, value string) error {
	return b.st.SetMark(ctx, key, value, b.now())
}

// TakeMark deletes a mark and returns its value: of two callers, exactly
// one gets it (a card edited once).
func (b *Bus) TakeMark(ctx context.Context, key string) (string, bool, error) {
	return b.st.TakeMark(ctx, key)
}

// Marks lists the marks whose key starts with prefix.
func (b *Bus) Marks(ctx context.Context, prefix string) (map[string]string, error) {
	return b.st.Marks(ctx, prefix)
}

// Touch remembers the channel the actor used last (written only when it
// changes, so a turn on the same channel costs nothing).
func (b *Bus) Touch(ctx context.Context, sid session.SessionID, from session.Address) {
	if from.Channel == "" {
		return
	}
	b.lastMu.Lock()
	same := b.lastSeen[sid] == from
	b.lastSeen[sid] = from
	b.lastMu.Unlock()
	if same {
		return
	}
	if err := b.st.TouchSession(ctx, sid, from, b.now()); err != nil {
		b.log.ErrorContext(ctx, "touch session", "err", err)
		b.lastMu.Lock()
		delete(b.lastSeen, sid) // retried on the next turn
		b.lastMu.Unlock()
	}
}

// LastUsed is the address the session's last turn came from.
func (b *Bus) LastUsed(ctx context.Context, sid session.SessionID) session.Address {
	b.lastMu.Lock()
	a, ok := b.lastSeen[sid]
	b.lastMu.Unlock()
	if ok {
		return a
	}
	a, _ = b.st.LastChannel(ctx, sid)
	return a
}
