package kernel_test

import (
	"context"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// The approval policies of docs/approvals.md (APR-01…03), through real
// turns: acme's demo policy (level 3: the manager, level 4: another admin).

func approvalEnv(t *testing.T, acme kernel.ApprovalPolicy) *kt.Env {
	t.Helper()
	return kt.New(t, kt.Options{Config: kernel.Config{Approvals: map[session.TenantID]kernel.ApprovalPolicy{"acme": acme}}})
}

// demoPolicy is acme's policy in configs/steward.yaml.
func demoPolicy() kernel.ApprovalPolicy {
	return kernel.ApprovalPolicy{Levels: map[int]session.ApprovalRule{3: {Kind: session.RuleManager}, 4: {Kind: session.RuleOther}}}
}

// decideOn decides from a named channel.
func decideOn(t *testing.T, e *kt.Env, a session.Actor, channel string, id session.ProposalID, kind session.ActionKind, phrase string) session.Outbound {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: session.ChannelID(channel)}, Action: &session.Action{Kind: kind, Proposal: id, Phrase: phrase}, At: e.Clock.Now()})
	if err != nil {
		t.Fatalf("decide: %v", err)
	}
	return out
}

// delivered is everything delivered to an actor's session outside a turn,
// flattened: texts, error codes and proposal ids, one per line.
func delivered(t *testing.T, e *kt.Env, a session.Actor) (string, []*session.ProposalCard) {
	t.Helper()
	evs, err := e.K.Deliveries().Events(context.Background(), a, 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	var cards []*session.ProposalCard
	for _, ev := range evs {
		for _, p := range ev.Out.Parts {
			switch x := p.(type) {
			case *session.Text:
				b.WriteString(x.Text + "\n")
			case *session.Error:
				b.WriteString("[" + x.Code + "] " + x.Message + "\n")
			case *session.ProposalCard:
				cards = append(cards, x)
			}
		}
		for _, d := range ev.Out.Decided {
			b.WriteString("decided " + string(d.Proposal) + " " + string(d.State) + "\n")
		}
	}
	return b.String(), cards
}

// APR-01, APR-02: alice's delete of staging-1 (level 4) needs another
// admin; she cannot approve it herself, carol (viewer) and bob (operator)
// cannot either; erin approves from Slack after the cooling period with
// the phrase; it runs once; both are told; the audit names both.
func TestAPR01FourEyesLevel4(t *testing.T) {
	e := approvalEnv(t, demoPolicy())
	out := e.Say(t, kt.Alice, `hosting.delete_server {"server":"staging-1"}`)
	c := kt.Card(t, out)
	if c.Approval == nil || len(c.Approval.Asked) != 1 || c.Approval.Asked[0] != "erin" || c.Approval.Policy != "other" {
		t.Fatalf("approval %+v", c.Approval)
	}
	if !strings.Contains(kt.TextOf(out), "Waiting for erin's approval") {
		t.Fatalf("requester not told who: %s", kt.Dump(out))
	}
	_, cards := delivered(t, e, kt.Erin)
	if len(cards) != 1 || cards[0].ID != c.ID || cards[0].Approval.Requester != "alice" || !cards[0].DangerPhraseRequired || cards[0].CoolingUntil == nil {
		t.Fatalf("erin's card %+v", cards)
	}
	e.Clock.Advance(31 * time.Second)
	if code := kt.ErrCode(e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "staging-1")); code != session.CodeSelfApproval {
		t.Fatalf("self approval: %s", code)
	}
	for _, who := range []session.Actor{kt.Carol, kt.Bob} {
		if code := kt.ErrCode(e.Decide(t, who, c.ID, session.ActionAccept, "staging-1")); code != session.CodeNotApprover {
			t.Fatalf("%s: %s", who.ID, code)
		}
	}
	if code := kt.ErrCode(decideOn(t, e, kt.Erin, "slack", c.ID, session.ActionAccept, "staging-2")); code != session.CodeWrongDangerPhrase {
		t.Fatalf("wrong phrase: %s", code)
	}
	done := decideOn(t, e, kt.Erin, "slack", c.ID, session.ActionAccept, "staging-1")
	if kt.ErrCode(done) != "" || !strings.Contains(kt.TextOf(done), "deleted") {
		t.Fatalf("erin's approval: %s", kt.Dump(done))
	}
	if code := kt.ErrCode(decideOn(t, e, kt.Erin, "slack", c.ID, session.ActionAccept, "staging-1")); code != session.CodeAlreadyExecuted {
		t.Fatalf("second approval: %s", code)
	}
	told, _ := delivered(t, e, kt.Alice)
	if !strings.Contains(told, "approved by erin") || !strings.Contains(told, "on slack") || !strings.Contains(told, "deleted") {
		t.Fatalf("alice was told: %q", told)
	}
	rows := e.Audit(t, "acme")
	if count(rows, "dispatch", `"tool":"hosting.delete_server"`) != 1 {
		t.Fatalf("dispatches: %v", kinds(rows, ""))
	}
	n := 0
	for _, r := range rows {
		if r.Kind == "confirmed" && r.Actor == "erin" && strings.Contains(r.Data, `"requester":"alice"`) && strings.Contains(r.Data, `"channel":"slack"`) && strings.Contains(r.Data, `"policy":"other"`) {
			n++
		}
	}
	if n != 1 || count(rows, "confirmation_refused", session.CodeSelfApproval) != 1 || count(rows, "approval_requested", `"asked":["erin"]`) != 1 {
		t.Fatalf("audit: %d confirmed by erin for alice; rows %v", n, kinds(rows, ""))
	}
	// The proposal as each sees it names who decided.
	v, err := e.K.Proposal(context.Background(), kt.Erin, c.ID)
	if err != nil || v.Card.Approval == nil || v.Card.Approval.DecidedBy != "erin" || v.State != session.ProposalExecuted {
		t.Fatalf("view %+v %v", v, err)
	}
	if _, err := e.K.Proposal(context.Background(), kt.Bob, c.ID); err == nil {
		t.Fatal("bob, who was not asked, sees the proposal")
	}
}

// APR-01, APR-02: bob's "stop web-2" (level 3) goes to his manager alice,
// who approves it from the web page; bob's own acceptance is refused.
func TestAPR02ManagerApprovesLevel3(t *testing.T) {
	e := approvalEnv(t, demoPolicy())
	c := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"web-2"}`))
	if c.Approval == nil || strings.Join(ids(c.Approval.Asked), ",") != "alice" || c.Approval.Policy != "manager" {
		t.Fatalf("approval %+v", c.Approval)
	}
	if code := kt.ErrCode(e.Decide(t, kt.Bob, c.ID, session.ActionAccept, "")); code != session.CodeSelfApproval {
		t.Fatalf("bob's own accept: %s", code)
	}
	if code := kt.ErrCode(e.Decide(t, kt.Erin, c.ID, session.ActionAccept, "")); code != session.CodeNotApprover {
		t.Fatalf("erin is not bob's manager: %s", code)
	}
	if _, cards := delivered(t, e, kt.Alice); len(cards) != 1 || cards[0].ID != c.ID {
		t.Fatalf("alice's cards %+v", cards)
	}
	out := decideOn(t, e, kt.Alice, "web", c.ID, session.ActionAccept, "")
	if kt.ErrCode(out) != "" || serverStatus(t, e, kt.Bob, "web-2")["status"] != "stopped" {
		t.Fatalf("alice's approval: %s", kt.Dump(out))
	}
	told, _ := delivered(t, e, kt.Bob)
	if !strings.Contains(told, "approved by alice") || !strings.Contains(told, "on web") || !strings.Contains(told, "decided "+string(c.ID)+" executed") {
		t.Fatalf("bob was told: %q", told)
	}
	// The fact is bob's: it ran as his request.
	facts, _ := e.Store.Recent(context.Background(), session.SessionFor(kt.Bob), session.Cap{Count: 5})
	found := false
	for _, f := range facts {
		found = found || f.Tool == "hosting.stop_server"
	}
	if !found {
		t.Fatal("the fact is not in the requester's session")
	}
}

func ids(a []session.ActorID) []string {
	out := make([]string, len(a))
	for i, x := range a {
		out[i] = string(x)
	}
	return out
}

// APR-02: two approvers press approve at once on two channels: one
// execution, the other told it was already decided; the loser's card is
// updated.
func TestAPR02ConcurrentApprovals(t *testing.T) {
	e := approvalEnv(t, kernel.ApprovalPolicy{Levels: map[int]session.ApprovalRule{3: {Kind: session.RuleRole, Role: "admin"}}})
	c := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"web-2"}`))
	if strings.Join(ids(c.Approval.Asked), ",") != "alice,erin" {
		t.Fatalf("asked %v", c.Approval.Asked)
	}
	var wg sync.WaitGroup
	outs := make([]session.Outbound, 2)
	for i, who := range []session.Actor{kt.Alice, kt.Erin} {
		wg.Add(1)
		go func() {
			defer wg.Done()
			outs[i] = decideOn(t, e, who, []string{"web", "telegram"}[i], c.ID, session.ActionAccept, "")
		}()
	}
	wg.Wait()
	codes := kt.ErrCode(outs[0]) + "|" + kt.ErrCode(outs[1])
	if codes != "|"+session.CodeAlreadyExecuted && codes != session.CodeAlreadyExecuted+"|" {
		t.Fatalf("outcomes %s / %s", kt.Dump(outs[0]), kt.Dump(outs[1]))
	}
	rows := e.Audit(t, "acme")
	if count(rows, "dispatch", `"tool":"hosting.stop_server"`) != 1 || count(rows, "confirmed", string(c.ID)) != 1 {
		t.Fatalf("ran more than once: %v", kinds(rows, ""))
	}
	winner := kt.Erin
	if kt.ErrCode(outs[0]) == "" {
		winner = kt.Alice
	}
	loser := map[session.ActorID]session.Actor{"alice": kt.Erin, "erin": kt.Alice}[winner.ID]
	told, _ := delivered(t, e, loser)
	if !strings.Contains(told, "approved by "+string(winner.ID)) || !strings.Contains(told, "decided "+string(c.ID)+" executed") {
		t.Fatalf("the other approver's card was not updated: %q", told)
	}
}

// APR-01: n_of:2:admin needs two distinct approvers; the first accept is
// recorded and runs nothing, the same approver twice counts once.
func TestAPR01TwoOfAdmins(t *testing.T) {
	e := approvalEnv(t, kernel.ApprovalPolicy{Tools: map[string]session.ApprovalRule{"hosting.stop_server": {Kind: session.RuleNOf, N: 2, Role: "admin"}}})
	c := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"web-2"}`))
	first := e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "")
	if kt.ErrCode(first) != "" || !strings.Contains(kt.TextOf(first), "(1 of 2)") || serverStatus(t, e, kt.Bob, "web-2")["status"] != "running" {
		t.Fatalf("first approval: %s", kt.Dump(first))
	}
	again := e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "")
	if !strings.Contains(kt.TextOf(again), "(1 of 2)") {
		t.Fatalf("same approver twice: %s", kt.Dump(again))
	}
	second := e.Decide(t, kt.Erin, c.ID, session.ActionAccept, "")
	if kt.ErrCode(second) != "" || serverStatus(t, e, kt.Bob, "web-2")["status"] != "stopped" {
		t.Fatalf("second approval: %s", kt.Dump(second))
	}
}

// APR-01: a policy nobody can satisfy proposes nothing (no_approver); a
// tenant without a policy (globex) decides its own proposals.
func TestAPR01NoApproverAndSelf(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{Approvals: map[session.TenantID]kernel.ApprovalPolicy{
		"globex": {Levels: map[int]session.ApprovalRule{2: {Kind: session.RuleOther}}},
	}}})
	if code := kt.ErrCode(e.Say(t, kt.Dave, `hosting.restart_server {"server":"gx-web-1"}`)); code != session.CodeNoApprover {
		t.Fatalf("dave alone in globex: %s", code)
	}
	c := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	if c.Approval != nil || kt.ErrCode(e.Decide(t, kt.Alice, c.ID, session.ActionAccept, "")) != "" {
		t.Fatalf("acme without a policy: %+v", c.Approval)
	}
}

// Rejection by an approver settles the request and tells the requester;
// the requester may withdraw their own request.
func TestApprovalRejectAndWithdraw(t *testing.T) {
	e := approvalEnv(t, demoPolicy())
	c := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"web-2"}`))
	if out := decideOn(t, e, kt.Alice, "web", c.ID, session.ActionReject, ""); kt.ErrCode(out) != "" {
		t.Fatalf("reject: %s", kt.Dump(out))
	}
	if told, _ := delivered(t, e, kt.Bob); !strings.Contains(told, "rejected by alice") {
		t.Fatalf("bob was told: %q", told)
	}
	c2 := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"db-1"}`))
	if out := e.Decide(t, kt.Bob, c2.ID, session.ActionReject, ""); kt.ErrCode(out) != "" {
		t.Fatalf("withdraw: %s", kt.Dump(out))
	}
	if code := kt.ErrCode(e.Decide(t, kt.Alice, c2.ID, session.ActionAccept, "")); code != session.CodeProposalRejected {
		t.Fatalf("approve after withdrawal: %s", code)
	}
}

// Escalation: with escalate_after, approvers are asked one at a time; an
// unanswered request goes to the next in line, then expires, and the
// requester is told.
func TestApprovalEscalationAndExpiry(t *testing.T) {
	pol := kernel.ApprovalPolicy{Levels: map[int]session.ApprovalRule{3: {Kind: session.RuleRole, Role: "admin"}}, EscalateAfter: 2 * time.Minute}
	e := approvalEnv(t, pol)
	ctx := context.Background()
	c := kt.Card(t, e.Say(t, kt.Bob, `hosting.stop_server {"server":"web-2"}`))
	if strings.Join(ids(c.Approval.Asked), ",") != "alice" {
		t.Fatalf("asked first %v", c.Approval.Asked)
	}
	if n, err := e.K.Escalate(ctx); err != nil || n != 0 {
		t.Fatal(n, err)
	}
	if _, cards := delivered(t, e, kt.Erin); len(cards) != 0 {
		t.Fatal("erin asked before alice's window passed")
	}
	e.Clock.Advance(2 * time.Minute)
	if _, err := e.K.Escalate(ctx); err != nil {
		t.Fatal(err)
	}
	if _, err := e.K.Escalate(ctx); err != nil { // a second sweep asks nobody again
		t.Fatal(err)
	}
	if _, cards := delivered(t, e, kt.Erin); len(cards) != 1 || strings.Join(ids(cards[0].Approval.Asked), ",") != "alice,erin" {
		t.Fatalf("erin's cards %+v", cards)
	}
	if told, _ := delivered(t, e, kt.Bob); !strings.Contains(told, "now goes to erin") {
		t.Fatalf("bob was told: %q", told)
	}
	e.Clock.Advance(9 * time.Minute)
	if n, err := e.K.Escalate(ctx); err != nil || n != 1 {
		t.Fatalf("expired %d, %v", n, err)
	}
	told, _ := delivered(t, e, kt.Bob)
	if !strings.Contains(told, "["+session.CodeProposalExpired+"]") || !strings.Contains(told, "nobody approved it") {
		t.Fatalf("bob was told: %q", told)
	}
	if code := kt.ErrCode(e.Decide(t, kt.Erin, c.ID, session.ActionAccept, "")); code != session.CodeProposalExpired {
		t.Fatalf("late approval: %s", code)
	}
	rows := e.Audit(t, "acme")
	if count(rows, "approval_escalated", `"asked":"erin"`) != 1 || count(rows, "expired", "no approver answered") != 1 {
		t.Fatalf("audit %v", kinds(rows, ""))
	}
}
