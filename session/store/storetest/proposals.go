package storetest

import (
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var proposalChecks = []check{
	{"RoundTrip", proposalRoundTrip},
	{"UnknownNotFound", proposalUnknown},
	{"DuplicateCreateFails", proposalDuplicate},
	{"WrongStateChangesNothing", proposalWrongState},
	{"TransitionStoresStateAndOutcome", proposalTransition},
	{"ConcurrentTransitionsOneWins", proposalConcurrentTransition},
	{"InStateOldestFirst", proposalsInState},
	{"AcceptTakesTheClaim", proposalAcceptClaims},
	{"AcceptNothingWhenClaimedBefore", proposalAcceptClaimedBefore},
	{"ConcurrentAcceptsOneWins", proposalConcurrentAccept},
}

// proposal is a pending proposal with every field set.
func proposal(id session.ProposalID, i int) store.ProposalRow {
	return store.ProposalRow{ID: id, Tenant: "acme", Actor: "alice", Session: "acme/alice", Turn: session.TurnID(fmt.Sprintf("t_%d", i)),
		Tool: "hosting.delete_server", Args: json.RawMessage(`{"name":"web-1"}`), ArgsHash: "abc123", Level: 3,
		Card: json.RawMessage(`{"title":"Delete web-1"}`), Phrase: "delete web-1", CreatedAt: at(i), CoolingUntil: at(i + 10),
		ExpiresAt: at(i + 600), State: store.ProposalPending, Origin: session.Address{Channel: "web", Account: "u1", Chat: "c1"},
		Chain: "chain_1", Step: "s2"}
}

func proposalRoundTrip(t *testing.T, b store.Backend) {
	p := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, p)
	same(t, "proposal", load(t, b.GetProposal, "p_1"), p)
}

// proposalUnknown: GetProposal of an unknown id is ErrNotFound. Today:
// TransitionProposal of an unknown id is ErrNotFound too.
func proposalUnknown(t *testing.T, b store.Backend) {
	_, err := b.GetProposal(t.Context(), "p_nope")
	wantErr(t, err, store.ErrNotFound)
	_, err = b.TransitionProposal(t.Context(), "p_nope", store.ProposalPending, store.ProposalExecuting, at(1), nil)
	wantErr(t, err, store.ErrNotFound)
}

// proposalDuplicate: creating an id again fails and keeps the first.
func proposalDuplicate(t *testing.T, b store.Backend) {
	p := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, p)
	if err := b.CreateProposal(t.Context(), proposal("p_1", 2)); err == nil {
		t.Fatal("second CreateProposal of p_1 succeeded")
	}
	same(t, "proposal", load(t, b.GetProposal, "p_1"), p)
}

// proposalWrongState: a transition from a state the proposal is not in
// reports false and changes nothing.
func proposalWrongState(t *testing.T, b store.Backend) {
	p := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, p)
	ok, err := b.TransitionProposal(t.Context(), "p_1", store.ProposalExecuting, store.ProposalExecuted, at(5), json.RawMessage(`{"ok":true}`))
	must(t, err)
	same(t, "transitioned", ok, false)
	same(t, "proposal", load(t, b.GetProposal, "p_1"), p)
}

// proposalTransition: a transition stores the new state and its time (in
// UTC) and, when given, the outcome. Today: a transition without an
// outcome keeps the one stored before.
func proposalTransition(t *testing.T, b store.Backend) {
	want := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, want)
	out := json.RawMessage(`{"replies":["done"]}`)
	for _, step := range []struct {
		from, to store.ProposalState
		at       time.Time
		outcome  json.RawMessage
	}{
		{store.ProposalPending, store.ProposalExecuting, at(5).In(time.FixedZone("CET", 3600)), nil},
		{store.ProposalExecuting, store.ProposalExecuted, at(6), out},
		{store.ProposalExecuted, store.ProposalFailed, at(7), nil},
	} {
		ok, err := b.TransitionProposal(t.Context(), "p_1", step.from, step.to, step.at, step.outcome)
		must(t, err)
		same(t, "transitioned", ok, true)
		want.State, want.DecidedAt = step.to, step.at.UTC()
		if step.outcome != nil {
			want.Outcome = step.outcome
		}
		same(t, "proposal after "+string(step.to), load(t, b.GetProposal, "p_1"), want)
	}
}

// proposalConcurrentTransition: of concurrent callers moving the same
// proposal out of pending, exactly one wins.
func proposalConcurrentTransition(t *testing.T, b store.Backend) {
	saveAll(t, b.CreateProposal, proposal("p_1", 1))
	exactlyOne(t, func(i int) (bool, error) {
		return b.TransitionProposal(t.Context(), "p_1", store.ProposalPending, store.ProposalExecuting, at(i), nil)
	})
	same(t, "state", load(t, b.GetProposal, "p_1").State, store.ProposalExecuting)
}

// proposalsInState lists the proposals in a state in the order they were
// created (today: creation order), with the state they are in.
func proposalsInState(t *testing.T, b store.Backend) {
	ps := []store.ProposalRow{proposal("p_b", 1), proposal("p_a", 2), proposal("p_c", 3)}
	saveAll(t, b.CreateProposal, ps...)
	ok, err := b.TransitionProposal(t.Context(), "p_a", store.ProposalPending, store.ProposalRejected, at(4), nil)
	must(t, err)
	same(t, "transitioned", ok, true)
	for _, c := range []struct {
		state store.ProposalState
		want  []session.ProposalID
	}{
		{store.ProposalPending, []session.ProposalID{"p_b", "p_c"}},
		{store.ProposalRejected, []session.ProposalID{"p_a"}},
		{store.ProposalExpired, nil},
	} {
		rows, err := b.ProposalsInState(t.Context(), c.state)
		must(t, err)
		var ids []session.ProposalID
		for _, r := range rows {
			ids = append(ids, r.ID)
			same(t, "state of "+string(r.ID), r.State, c.state)
		}
		same(t, string(c.state), ids, c.want)
	}
}

// proposalAcceptClaims: AcceptProposal moves a pending proposal to
// executing and takes the claim "proposal:<id>" with it; a proposal that
// is not pending is not accepted and no claim is taken; an unknown one is
// ErrNotFound.
func proposalAcceptClaims(t *testing.T, b store.Backend) {
	want := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, want, proposal("p_2", 2))
	ok, err := b.AcceptProposal(t.Context(), "p_1", at(5))
	must(t, err)
	same(t, "accepted", ok, true)
	want.State, want.DecidedAt = store.ProposalExecuting, at(5)
	same(t, "proposal", load(t, b.GetProposal, "p_1"), want)
	same(t, "claim", load(t, b.Execution, "proposal:p_1"), store.Execution{Key: "proposal:p_1", ClaimedAt: at(5)})
	ok, err = b.AcceptProposal(t.Context(), "p_1", at(6))
	must(t, err)
	same(t, "accepted twice", ok, false)
	_, err = b.TransitionProposal(t.Context(), "p_2", store.ProposalPending, store.ProposalRejected, at(7), nil)
	must(t, err)
	ok, err = b.AcceptProposal(t.Context(), "p_2", at(8))
	must(t, err)
	same(t, "rejected proposal accepted", ok, false)
	_, err = b.Execution(t.Context(), "proposal:p_2")
	wantErr(t, err, store.ErrNotFound)
	_, err = b.AcceptProposal(t.Context(), "p_nope", at(9))
	wantErr(t, err, store.ErrNotFound)
}

// proposalAcceptClaimedBefore: when the proposal's claim exists already,
// AcceptProposal reports false and leaves the proposal pending: the
// transition and the claim are one commit, never one without the other.
func proposalAcceptClaimedBefore(t *testing.T, b store.Backend) {
	want := proposal("p_1", 1)
	saveAll(t, b.CreateProposal, want)
	first, _, err := b.ClaimDispatch(t.Context(), store.Execution{Key: "proposal:p_1", ClaimedAt: at(2)})
	must(t, err)
	same(t, "planted claim", first, true)
	ok, err := b.AcceptProposal(t.Context(), "p_1", at(5))
	must(t, err)
	same(t, "accepted", ok, false)
	same(t, "proposal", load(t, b.GetProposal, "p_1"), want)
}

// proposalConcurrentAccept: of concurrent accepts of one proposal exactly
// one wins.
func proposalConcurrentAccept(t *testing.T, b store.Backend) {
	saveAll(t, b.CreateProposal, proposal("p_1", 1))
	exactlyOne(t, func(i int) (bool, error) { return b.AcceptProposal(t.Context(), "p_1", at(i)) })
}
