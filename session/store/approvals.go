package store

import (
	"context"
	"time"

	"github.com/steward-os/steward/session"
)

// Approvals stores approval requests: proposals that a tenant's policy
// gives to approvers other than their requester, who has been asked, when
// the next in line is, and the approvers' votes. The proposal itself (its
// state, its single-use acceptance) stays in Proposals.
type Approvals interface {
	// CreateApproval stores a new request; ErrConflict when the proposal
	// has one already.
	CreateApproval(ctx context.Context, r ApprovalRow) error
	// GetApproval loads one with its votes, oldest first; ErrNotFound
	// when the proposal has none.
	GetApproval(ctx context.Context, id session.ProposalID) (ApprovalRow, error)
	// AdvanceApproval moves an open request from having asked `from`
	// approvers of its line to `to`, with the next deadline: of concurrent
	// callers with the same from, exactly one wins (true). ErrNotFound
	// when the proposal has no request.
	AdvanceApproval(ctx context.Context, id session.ProposalID, from, to int, next time.Time) (bool, error)
	// CloseApproval closes an open request at at, decided by by on
	// channel (both empty when it expired): of concurrent callers exactly
	// one wins (true). ErrNotFound when there is none.
	CloseApproval(ctx context.Context, id session.ProposalID, by session.ActorID, channel session.ChannelID, at time.Time) (bool, error)
	// DueApprovals lists the open requests whose Next is not after
	// before, the earliest first, at most 200 (without votes).
	DueApprovals(ctx context.Context, before time.Time) ([]ApprovalRow, error)
	// AddApprovalVote records an approver's accept once per approver and
	// returns how many distinct approvers have voted; added is false
	// when this approver had voted before (nothing changes).
	// ErrNotFound when the proposal has no request.
	AddApprovalVote(ctx context.Context, id session.ProposalID, v ApprovalVote) (votes int, added bool, err error)
}

// ApprovalRow is one approval request.
type ApprovalRow struct {
	Proposal  session.ProposalID `json:"proposal"`
	Tenant    session.TenantID   `json:"tenant"`
	Requester session.ActorID    `json:"requester"`
	// Policy is the rule that applied, as configured ("manager").
	Policy string `json:"policy"`
	// Line is every approver in the order they are asked.
	Line []session.ActorID `json:"line"`
	// Asked is how many of Line have been asked (at least 1).
	Asked int `json:"asked"`
	// Needed is how many distinct approvers must accept.
	Needed int `json:"needed"`
	// Next is when the next in line is asked, or, with the whole line
	// asked, when the request expires.
	Next      time.Time `json:"next"`
	CreatedAt time.Time `json:"created_at"`
	Closed    bool      `json:"closed"`
	ClosedAt  time.Time `json:"closed_at"`
	// ClosedBy and ClosedOn say who settled it and on which channel.
	ClosedBy session.ActorID   `json:"closed_by,omitempty"`
	ClosedOn session.ChannelID `json:"closed_on,omitempty"`
	Votes    []ApprovalVote    `json:"votes,omitempty"`
}

// ApprovalVote is one approver's accept.
type ApprovalVote struct {
	Approver session.ActorID   `json:"approver"`
	Channel  session.ChannelID `json:"channel"`
	At       time.Time         `json:"at"`
}
