package kernel_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// sayOn sends a text turn from a named channel.
func sayOn(t *testing.T, e *kt.Env, a session.Actor, channel, text string) session.Outbound {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: session.ChannelID(channel)}, Text: text, At: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func grant(t *testing.T, e *kt.Env, a session.Actor, id session.ProposalID, g string) session.Outbound {
	t.Helper()
	out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: "test"}, Action: &session.Action{Kind: session.ActionAccept, Proposal: id, Grant: g}, At: e.Clock.Now()})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func hasCard(out session.Outbound) bool {
	for _, p := range out.Parts {
		if _, ok := p.(*session.ProposalCard); ok {
			return true
		}
	}
	return false
}

// APR-03: "allow for this session" on a restart of web-1: the second
// restart in the same session runs without asking, audited with the
// grant; web-2 still asks; a new session (after the idle time) asks
// again; another channel asks; revocation works; a level-3 tool is never
// auto-approved.
func TestAPR03SessionGrant(t *testing.T) {
	e := approvalEnv(t, demoPolicy())
	restart := `hosting.restart_server {"server":"web-1"}`
	before := restarts(t, e, "web-1")
	c := kt.Card(t, e.Say(t, kt.Alice, restart))
	if out := grant(t, e, kt.Alice, c.ID, session.GrantSession); kt.ErrCode(out) != "" {
		t.Fatalf("accept with a grant: %s", kt.Dump(out))
	}
	out := e.Say(t, kt.Alice, restart)
	if hasCard(out) || kt.ErrCode(out) != "" || restarts(t, e, "web-1") != before+2 {
		t.Fatalf("second restart asked again: %s", kt.Dump(out))
	}
	rows := e.Audit(t, "acme")
	if count(rows, "grant_made", string(c.ID)) != 1 || count(rows, "auto_approved", `"granted_by":"`+string(c.ID)+`"`) != 1 {
		t.Fatalf("audit %v", kinds(rows, ""))
	}
	if !hasCard(e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-2"}`)) {
		t.Fatal("another target ran under the grant")
	}
	if !hasCard(sayOn(t, e, kt.Alice, "web", restart)) {
		t.Fatal("another channel ran under the grant")
	}
	if hasCard(e.Say(t, kt.Alice, restart)) { // back on the granting conversation
		t.Fatal("the grant ended when another channel was used")
	}
	e.Clock.Advance(31 * time.Minute) // the session went idle: a new one
	if !hasCard(e.Say(t, kt.Alice, restart)) {
		t.Fatal("the grant crossed into a new session")
	}
	// Revocation.
	c2 := kt.Card(t, e.Say(t, kt.Alice, restart))
	grant(t, e, kt.Alice, c2.ID, "1h")
	if hasCard(e.Say(t, kt.Alice, restart)) {
		t.Fatal("a 1h grant did not hold")
	}
	if txt := kt.TextOf(e.Say(t, kt.Alice, "stop auto-approving")); !strings.Contains(txt, "Stopped auto-approving") {
		t.Fatalf("revoke: %q", txt)
	}
	if !hasCard(e.Say(t, kt.Alice, restart)) {
		t.Fatal("a revoked grant still held")
	}
	// Both grants end: the 1h one and the idle session grant.
	if count(e.Audit(t, "acme"), "grants_revoked", `"revoked":2`) != 1 {
		t.Fatal("revocation not audited")
	}
}

// APR-03: a level-3 proposal refuses a grant and runs nothing; a tool
// without targets is granted only for the same arguments.
func TestAPR03NeverLevel3(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{}})
	c := kt.Card(t, e.Say(t, kt.Alice, `hosting.stop_server {"server":"web-2"}`))
	if code := kt.ErrCode(grant(t, e, kt.Alice, c.ID, session.GrantSession)); code != session.CodeGrantRefused {
		t.Fatalf("level-3 grant: %s", code)
	}
	if serverStatus(t, e, kt.Alice, "web-2")["status"] != "running" {
		t.Fatal("a refused grant ran the action")
	}
	if code := kt.ErrCode(grant(t, e, kt.Alice, c.ID, "forever")); code != session.CodeGrantRefused {
		t.Fatalf("bad grant form: %s", code)
	}
	// The proposal is still pending: confirmed on its own, it runs.
	if out := e.Decide(t, kt.Alice, c.ID, session.ActionAccept, ""); kt.ErrCode(out) != "" {
		t.Fatalf("plain accept: %s", kt.Dump(out))
	}
	if !hasCard(e.Say(t, kt.Alice, `hosting.stop_server {"server":"web-1"}`)) {
		t.Fatal("level 3 ran without asking")
	}
	// The typed form.
	c2 := kt.Card(t, e.Say(t, kt.Alice, `hosting.resize_server {"server":"web-1","size":"l"}`))
	if out := e.Say(t, kt.Alice, "allow "+string(c2.ID)+" for this session"); kt.ErrCode(out) != "" {
		t.Fatalf("typed grant: %s", kt.Dump(out))
	}
	if hasCard(e.Say(t, kt.Alice, `hosting.resize_server {"server":"web-1","size":"xl"}`)) {
		t.Fatal("same target, other size: should run under the grant")
	}
}
