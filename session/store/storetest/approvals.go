package storetest

import (
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var approvalChecks = []check{
	{"CreateAndGet", approvalRoundTrip},
	{"CreateTwiceConflicts", approvalConflict},
	{"UnknownNotFound", approvalNotFound},
	{"AdvanceExactlyOneWins", approvalAdvanceRace},
	{"CloseExactlyOneWins", approvalCloseRace},
	{"DueInDeadlineOrderOpenOnly", approvalDue},
	{"VotesDistinctAndCounted", approvalVotes},
	{"ConcurrentVotesAllCounted", approvalVotesRace},
}

// together runs fn(i) for i in 0..racers-1 at once and waits for all.
func together(fn func(i int)) {
	var wg sync.WaitGroup
	for i := range racers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			fn(i)
		}()
	}
	wg.Wait()
}

func approvalRow(id string, next int) store.ApprovalRow {
	return store.ApprovalRow{Proposal: session.ProposalID(id), Tenant: "acme", Requester: "bob", Policy: "role:admin",
		Line: []session.ActorID{"alice", "erin"}, Asked: 1, Needed: 1, Next: at(next), CreatedAt: at(0)}
}

// approvalRoundTrip: a request reads back as stored, times in UTC to the
// nanosecond, with no votes and open.
func approvalRoundTrip(t *testing.T, b store.Backend) {
	r := approvalRow("p_a", 60)
	must(t, b.CreateApproval(t.Context(), r))
	got, err := b.GetApproval(t.Context(), "p_a")
	must(t, err)
	same(t, "line", fmt.Sprint(got.Line), "[alice erin]")
	same(t, "asked", got.Asked, 1)
	same(t, "next", got.Next, at(60))
	same(t, "policy", got.Policy, "role:admin")
	same(t, "closed", got.Closed, false)
	same(t, "votes", len(got.Votes), 0)
}

func approvalConflict(t *testing.T, b store.Backend) {
	must(t, b.CreateApproval(t.Context(), approvalRow("p_a", 60)))
	if err := b.CreateApproval(t.Context(), approvalRow("p_a", 90)); !errors.Is(err, store.ErrConflict) {
		t.Fatalf("second create: %v", err)
	}
}

func approvalNotFound(t *testing.T, b store.Backend) {
	if _, err := b.GetApproval(t.Context(), "p_none"); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("get: %v", err)
	}
	if _, err := b.AdvanceApproval(t.Context(), "p_none", 1, 2, at(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("advance: %v", err)
	}
	if _, err := b.CloseApproval(t.Context(), "p_none", "", "", at(1)); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("close: %v", err)
	}
	if _, _, err := b.AddApprovalVote(t.Context(), "p_none", store.ApprovalVote{Approver: "alice", At: at(1)}); !errors.Is(err, store.ErrNotFound) {
		t.Fatalf("vote: %v", err)
	}
}

// approvalAdvanceRace: of racers advancing from the same count, one
// wins; a closed request does not advance.
func approvalAdvanceRace(t *testing.T, b store.Backend) {
	must(t, b.CreateApproval(t.Context(), approvalRow("p_a", 60)))
	var wins atomic.Int32
	together(func(int) {
		ok, err := b.AdvanceApproval(t.Context(), "p_a", 1, 2, at(120))
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
		}
	})
	same(t, "winners", wins.Load(), int32(1))
	got, err := b.GetApproval(t.Context(), "p_a")
	must(t, err)
	same(t, "asked", got.Asked, 2)
	same(t, "next", got.Next, at(120))
	ok, err := b.CloseApproval(t.Context(), "p_a", "", "", at(130))
	must(t, err)
	same(t, "closed", ok, true)
	ok, err = b.AdvanceApproval(t.Context(), "p_a", 2, 3, at(140))
	must(t, err)
	same(t, "advance after close", ok, false)
}

// approvalCloseRace: of racers closing, one wins and its decider is kept.
func approvalCloseRace(t *testing.T, b store.Backend) {
	must(t, b.CreateApproval(t.Context(), approvalRow("p_a", 60)))
	var wins atomic.Int32
	var winner atomic.Value
	together(func(i int) {
		who := session.ActorID(fmt.Sprint("approver-", i))
		ok, err := b.CloseApproval(t.Context(), "p_a", who, "web", at(10))
		if err != nil {
			t.Error(err)
		}
		if ok {
			wins.Add(1)
			winner.Store(who)
		}
	})
	same(t, "winners", wins.Load(), int32(1))
	got, err := b.GetApproval(t.Context(), "p_a")
	must(t, err)
	same(t, "closed", got.Closed, true)
	same(t, "closed by", got.ClosedBy, winner.Load().(session.ActorID))
	same(t, "closed on", got.ClosedOn, session.ChannelID("web"))
	same(t, "closed at", got.ClosedAt, at(10))
}

// approvalDue: requests due by an instant, earliest first; closed ones
// and later ones left out.
func approvalDue(t *testing.T, b store.Backend) {
	for _, r := range []store.ApprovalRow{approvalRow("p_late", 300), approvalRow("p_b", 20), approvalRow("p_a", 10), approvalRow("p_closed", 5)} {
		must(t, b.CreateApproval(t.Context(), r))
	}
	_, err := b.CloseApproval(t.Context(), "p_closed", "", "", at(6))
	must(t, err)
	due, err := b.DueApprovals(t.Context(), at(20))
	must(t, err)
	var ids []session.ProposalID
	for _, r := range due {
		ids = append(ids, r.Proposal)
	}
	same(t, "due", fmt.Sprint(ids), "[p_a p_b]")
}

// approvalVotes: an approver's vote counts once; votes read back in order.
func approvalVotes(t *testing.T, b store.Backend) {
	must(t, b.CreateApproval(t.Context(), approvalRow("p_a", 60)))
	for i, v := range []struct {
		who   session.ActorID
		n     int
		added bool
	}{{"alice", 1, true}, {"alice", 1, false}, {"erin", 2, true}} {
		n, added, err := b.AddApprovalVote(t.Context(), "p_a", store.ApprovalVote{Approver: v.who, Channel: "slack", At: at(i)})
		must(t, err)
		same(t, "votes", n, v.n)
		same(t, "added", added, v.added)
	}
	got, err := b.GetApproval(t.Context(), "p_a")
	must(t, err)
	same(t, "votes", len(got.Votes), 2)
	same(t, "first voter", got.Votes[0].Approver, session.ActorID("alice"))
	same(t, "first vote at", got.Votes[0].At, at(0))
	same(t, "channel", got.Votes[1].Channel, session.ChannelID("slack"))
}

// approvalVotesRace: concurrent votes of distinct approvers are all
// counted, each once; the last count is the total.
func approvalVotesRace(t *testing.T, b store.Backend) {
	must(t, b.CreateApproval(t.Context(), approvalRow("p_a", 60)))
	var max atomic.Int32
	together(func(i int) {
		n, _, err := b.AddApprovalVote(t.Context(), "p_a", store.ApprovalVote{Approver: session.ActorID(fmt.Sprint("a", i)), At: at(i)})
		if err != nil {
			t.Error(err)
		}
		for {
			m := max.Load()
			if int32(n) <= m || max.CompareAndSwap(m, int32(n)) {
				break
			}
		}
	})
	same(t, "highest count", max.Load(), int32(racers))
}
