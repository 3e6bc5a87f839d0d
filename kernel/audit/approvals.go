package audit

// Record kinds of approval policies and grants (docs/approvals.md).
const (
	// KindApprovalAsked: a proposal was sent to approvers (requester,
	// policy, approvers asked, the line).
	KindApprovalAsked = "approval_requested"
	// KindApprovalVote: an approver accepted a proposal that needs more
	// than one approver.
	KindApprovalVote = "approval_vote"
	// KindApprovalEscalated: nobody answered in time; the next approver
	// in line was asked.
	KindApprovalEscalated = "approval_escalated"
	// KindGranted: an accept at level 1–2 also allowed the same tool
	// within the same targets for the session or a window.
	KindGranted = "grant_made"
	// KindAutoApproved: a call ran without asking under a grant.
	KindAutoApproved = "auto_approved"
	// KindGrantsRevoked: the actor stopped auto-approving.
	KindGrantsRevoked = "grants_revoked"
)
