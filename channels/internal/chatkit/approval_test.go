package chatkit_test

import (
	"testing"
	"time"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// APR-02: a card of an approval request is edited to who decided it and
// when; any other card keeps its usual line.
func TestApprovalOutcome(t *testing.T) {
	at := time.Date(2026, 11, 23, 10, 2, 3, 0, time.UTC)
	ap := &session.Approval{Requester: "bob", Policy: "manager", Asked: []session.ActorID{"alice"}, Needed: 1, DecidedBy: "alice", DecidedAt: &at}
	for _, c := range []struct {
		state session.ProposalState
		by    session.ActorID
		want  string
	}{
		{session.ProposalExecuted, "alice", "✓ Approved by alice at 10:02:03 UTC and carried out."},
		{session.ProposalFailed, "alice", "✗ Approved by alice at 10:02:03 UTC, but it failed."},
		{session.ProposalRejected, "alice", "✗ Rejected by alice at 10:02:03 UTC: nothing was changed."},
		{session.ProposalRejected, "bob", "✗ Withdrawn by bob at 10:02:03 UTC: nothing was changed."},
	} {
		a := *ap
		a.DecidedBy = c.by
		if got := chatkit.Outcome(session.Proposal{State: c.state, Card: session.ProposalCard{Approval: &a}}); got != c.want {
			t.Errorf("%s by %s: %q", c.state, c.by, got)
		}
	}
	if got := chatkit.Outcome(session.Proposal{State: session.ProposalExpired, Card: session.ProposalCard{Approval: &session.Approval{Requester: "bob"}}}); got != "⌛ Expired: nothing was changed." {
		t.Errorf("expired unanswered: %q", got)
	}
}
