package kernel

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Feed returns the events of every session after an id, oldest first,
// waiting up to wait for one to arrive. It is for channels that push to a
// platform: they read the whole feed, keep their own cursor (Mark), and
// deliver the events addressed to them.
func (k *Kernel) Feed(ctx context.Context, after int64, wait time.Duration) ([]store.Event, error) {
	return waitEvents(ctx, wait, func() chan struct{} {
		k.emu.Lock()
		defer k.emu.Unlock()
		return k.feed
	}, func() ([]store.Event, error) { return k.st.AllEvents(ctx, after, 200) })
}

// LastEventID is the id of the newest event (0 when there is none): where
// a channel starts reading the feed the first time it runs.
func (k *Kernel) LastEventID(ctx context.Context) (int64, error) { return k.st.LastEventID(ctx) }

// Mark reads a small durable value a channel keeps (a feed cursor, the
// message that shows a proposal). Keys are the channel's own.
func (k *Kernel) Mark(ctx context.Context, key string) (string, bool, error) {
	return k.st.Mark(ctx, key)
}

// SetMark writes a mark; an empty value deletes it.
func (k *Kernel) SetMark(ctx context.Context, key, value string) error {
	return k.st.SetMark(ctx, key, value, k.now())
}

// TakeMark deletes a mark and returns its value: of two callers, exactly
// one gets it (a card edited once).
func (k *Kernel) TakeMark(ctx context.Context, key string) (string, bool, error) {
	return k.st.TakeMark(ctx, key)
}

// Marks lists the marks whose key starts with prefix.
func (k *Kernel) Marks(ctx context.Context, prefix string) (map[string]string, error) {
	return k.st.Marks(ctx, prefix)
}

// Proposal returns one of the actor's own proposals, so that a channel
// can show what became of it (a card edited when it expires). Anyone
// else's proposal, or one that does not exist, is proposal_not_found.
func (k *Kernel) Proposal(ctx context.Context, a session.Actor, id session.ProposalID) (store.ProposalRow, error) {
	p, err := k.st.GetProposal(ctx, id)
	if errors.Is(err, store.ErrNotFound) || (err == nil && (p.Tenant != a.Tenant || p.Actor != a.ID)) {
		return store.ProposalRow{}, Errf(session.CodeProposalNotFound, "There is no such proposal.")
	}
	if err != nil {
		return store.ProposalRow{}, fmt.Errorf("proposal: %w", err)
	}
	if p.State == store.ProposalPending && !k.now().Before(p.ExpiresAt) {
		p.State = store.ProposalExpired // as a decision now would find it
	}
	return p, nil
}
