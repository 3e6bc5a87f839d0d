package chatkit

import (
	"fmt"

	"github.com/steward-os/steward/session"
)

// approvalOutcome is the line an approval card is edited to: who decided
// it and when ("✓ Approved by alice at 10:02:03 UTC and carried out.").
func approvalOutcome(s session.ProposalState, ap *session.Approval) string {
	at := ap.DecidedAt.UTC().Format("15:04:05 MST")
	switch {
	case s == session.ProposalRejected && ap.DecidedBy == ap.Requester:
		return fmt.Sprintf("✗ Withdrawn by %s at %s: nothing was changed.", ap.DecidedBy, at)
	case s == session.ProposalRejected:
		return fmt.Sprintf("✗ Rejected by %s at %s: nothing was changed.", ap.DecidedBy, at)
	case s == session.ProposalFailed:
		return fmt.Sprintf("✗ Approved by %s at %s, but it failed.", ap.DecidedBy, at)
	case s == session.ProposalExecuted || s == session.ProposalExecuting:
		return fmt.Sprintf("✓ Approved by %s at %s and carried out.", ap.DecidedBy, at)
	}
	return string(s)
}
