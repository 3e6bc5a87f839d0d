package channeltest

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// The approval scenarios (APR-01, APR-02) every adapter passes: the
// channel under test is the approver's (the card arrives there outside a
// turn and is decided in the channel's own form), then the requester's
// (their own accept is refused, and they are told who decided). The other
// side acts through the kernel directly.

// approvalPolicy is acme's demo policy: level 3 by the manager, level 4
// by another admin.
func approvalPolicy() map[session.TenantID]kernel.ApprovalPolicy {
	return map[session.TenantID]kernel.ApprovalPolicy{"acme": {Levels: map[int]session.ApprovalRule{
		3: {Kind: session.RuleManager}, 4: {Kind: session.RuleOther},
	}}}
}

func runApprovals(t *testing.T, open Opener) {
	for _, s := range []struct {
		name  string
		actor session.Actor
		run   func(t *testing.T, e *kerneltest.Env, d Driver)
	}{
		{"approver decides on this channel", kerneltest.Alice, approverHere},
		{"requester on this channel", kerneltest.Alice, requesterHere},
	} {
		t.Run(s.name, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{Approvals: approvalPolicy()}})
			s.run(t, e, open(t, e, s.actor))
		})
	}
}

// waitDeliveries collects what the channel delivers until seen says it
// has what it waits for, or 10 s pass.
func waitDeliveries(t *testing.T, d Driver, seen func(Observation) bool) Observation {
	t.Helper()
	var all Observation
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) && !seen(all) {
		got := d.Deliveries(t, 500*time.Millisecond)
		all.Texts = append(all.Texts, got.Texts...)
		all.Cards = append(all.Cards, got.Cards...)
		all.Errors = append(all.Errors, got.Errors...)
	}
	return all
}

func kernelSay(t *testing.T, e *kerneltest.Env, a session.Actor, text string) *session.ProposalCard {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: "test"}, Text: text, At: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return kerneltest.Card(t, out)
}

// approverHere: bob asks (elsewhere) to stop web-2; the card reaches his
// manager alice on this channel, where she approves it with one press.
func approverHere(t *testing.T, e *kerneltest.Env, d Driver) {
	noErrors(t, d.Say(t, "a0", `hosting.list_servers {}`)) // alice was last seen here
	c := kernelSay(t, e, kerneltest.Bob, `hosting.stop_server {"server":"web-2"}`)
	got := waitDeliveries(t, d, func(o Observation) bool { return len(o.Cards) > 0 })
	if len(got.Cards) != 1 || got.Cards[0].ID != string(c.ID) || got.Cards[0].Level != 3 || !strings.Contains(got.Text(), "bob asks for your approval") {
		t.Fatalf("approval request on this channel: %+v", got)
	}
	o := d.Decide(t, "a1", got.Cards[0], true, "")
	noErrors(t, o)
	if !strings.Contains(o.Text(), "stopped") {
		t.Fatalf("approve: %+v", o)
	}
	hasError(t, d.Decide(t, "a2", got.Cards[0], true, ""), session.CodeAlreadyExecuted)
	evs, err := e.K.Deliveries().Events(context.Background(), kerneltest.Bob, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	told := false
	for _, ev := range evs {
		for _, p := range ev.Out.Parts {
			if x, ok := p.(*session.Text); ok && strings.Contains(x.Text, "approved by alice") {
				told = true
			}
		}
	}
	if !told {
		t.Fatal("the requester was not told the outcome")
	}
}

// requesterHere: alice asks on this channel to delete staging-1 (level
// 4); she is told whose approval it waits for, her own accept is refused
// (self_approval), and she is told when erin approves it.
func requesterHere(t *testing.T, e *kerneltest.Env, d Driver) {
	o := d.Say(t, "r1", `hosting.delete_server {"server":"staging-1"}`)
	c := one(t, o)
	if c.Level != 4 || !strings.Contains(o.Text(), "Waiting for erin's approval") {
		t.Fatalf("request: %+v", o)
	}
	e.Clock.Advance(31 * time.Second)
	hasError(t, d.Decide(t, "r2", c, true, "staging-1"), session.CodeSelfApproval)
	out, err := e.K.Handle(context.Background(), kerneltest.Erin, session.Inbound{From: session.Address{Channel: "slack"},
		Action: &session.Action{Kind: session.ActionAccept, Proposal: session.ProposalID(c.ID), Phrase: "staging-1"}, At: e.Clock.Now()})
	if err != nil || kerneltest.ErrCode(out) != "" {
		t.Fatalf("erin's approval: %v %s", err, kerneltest.Dump(out))
	}
	got := waitDeliveries(t, d, func(o Observation) bool { return strings.Contains(o.Text(), "approved by erin") })
	if !strings.Contains(got.Text(), "approved by erin") || !strings.Contains(got.Text(), "deleted") {
		t.Fatalf("the requester was not told: %+v", got)
	}
}
