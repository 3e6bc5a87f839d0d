package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

func notesFor(t *testing.T, e *kt.Env, to session.ActorID) []string {
	t.Helper()
	ns, err := e.Store.Notes(context.Background(), "acme", to)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, n := range ns {
		out = append(out, n.Body)
	}
	return out
}

func lastFact(t *testing.T, e *kt.Env, a session.Actor, tool string) session.Fact {
	t.Helper()
	fs, _ := e.Store.Recent(context.Background(), session.SessionFor(a), session.Cap{Count: 100})
	for i := len(fs) - 1; i >= 0; i-- {
		if string(fs[i].Tool) == tool {
			return fs[i]
		}
	}
	t.Fatalf("no fact for %s", tool)
	return session.Fact{}
}

const sendPendingToManager = `plan: [
 {"id":"s1","tool":"tasks.list_tasks","args":{"status":"pending"},"depends_on":[]},
 {"id":"s2","tool":"messaging.send_message","args":{"to":"alice","body":{"$ref":"s1"}},"depends_on":["s1"]}]`

// CHAIN-01 CHAIN-03 CHAIN-08 SAFE-10: the example, accepted.
func TestCHAIN_SendPendingTasksToManager(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Bob, sendPendingToManager)
	card := kt.Card(t, out)
	if !strings.Contains(kt.TextOf(out), "[s1]") {
		t.Fatalf("step 1 did not run first: %s", kt.Dump(out))
	}
	f := lastFact(t, e, kt.Bob, "tasks.list_tasks")
	var args struct{ To, Body string }
	_ = json.Unmarshal(card.Args, &args)
	if args.To != "alice" || !strings.Contains(args.Body, "T-3") || card.Step != "s2" || card.SafetyLevel != 2 {
		t.Fatalf("card %s", kt.Dump(out))
	}
	// The body is the producer's verbatim fact, rendered, and the card says so.
	if len(card.Sources) != 1 || card.Sources[0].Fact != f.ID || card.Sources[0].Param != "body" {
		t.Fatalf("sources %+v (fact %d)", card.Sources, f.ID)
	}
	if len(notesFor(t, e, "alice")) != 0 {
		t.Fatal("delivered before confirmation")
	}
	res := e.Decide(t, kt.Bob, card.ID, session.ActionAccept, "")
	if kt.ErrCode(res) != "" || !strings.Contains(kt.TextOf(res), "Plan finished: 2 of 2 steps done") {
		t.Fatalf("accept: %s", kt.Dump(res))
	}
	if got := notesFor(t, e, "alice"); len(got) != 1 || got[0] != args.Body {
		t.Fatalf("alice got %q, want %q", got, args.Body)
	}
}

// SAFE-10: rejecting the step delivers nothing and says so.
func TestCHAIN_RejectDeliversNothing(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Bob, sendPendingToManager))
	res := e.Decide(t, kt.Bob, card.ID, session.ActionReject, "")
	if kt.ErrCode(res) != "" || !strings.Contains(kt.TextOf(res), "1 rejected") {
		t.Fatalf("reject: %s", kt.Dump(res))
	}
	if len(notesFor(t, e, "alice")) != 0 {
		t.Fatal("a rejected message was delivered")
	}
}

// CHAIN-04: a plan listed write-before-read runs read first; the order is
// the same whichever way the plan was listed (CHAIN-08 stable under reordering).
func TestCHAIN04_TopologicalOrder(t *testing.T) {
	for _, plan := range []string{
		`plan: [{"id":"s2","tool":"messaging.send_message","args":{"to":"alice","body":{"$ref":"s1"}},"depends_on":["s1"]},{"id":"s1","tool":"tasks.list_tasks","args":{"status":"pending"}}]`,
		sendPendingToManager,
	} {
		e := kt.New(t, kt.Options{})
		out := e.Say(t, kt.Bob, plan)
		card := kt.Card(t, out)
		if card.Step != "s2" || !strings.Contains(kt.TextOf(out), "[s1]") {
			t.Fatalf("order: %s", kt.Dump(out))
		}
		rows := e.Audit(t, "acme")
		var chainOrder string
		for _, r := range rows {
			if r.Kind == "chain" {
				chainOrder = r.Data
			}
		}
		if !strings.Contains(chainOrder, `"order":["s1","s2"]`) {
			t.Fatalf("audited order %s", chainOrder)
		}
	}
}

// CHAIN-10 CHAIN-05: incoherent plans are rejected before anything runs.
func TestCHAIN10_IncoherentPlansRunNothing(t *testing.T) {
	cases := []struct {
		name, plan, code, says string
	}{
		{"cycle", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":["s2"]},{"id":"s2","tool":"hosting.get_server","args":{"server":"web-1"},"depends_on":["s1"]}]`, session.CodeInvalidPlan, "s1 → s2 → s1"},
		{"missing step", `plan: [{"id":"s1","tool":"hosting.get_server","args":{"server":{"$ref":"s9#/name"}}}]`, session.CodeInvalidPlan, "s9"},
		{"missing dependency", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":["s0"]}]`, session.CodeInvalidPlan, "s0"},
		{"bad args", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.resize_server","args":{"server":"web-1","size":"huge"}}]`, session.CodeInvalidArguments, "s2"},
		{"destructive step invalid", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.delete_server","args":{"server":5}}]`, session.CodeInvalidArguments, "destructive step (s2: hosting.delete_server)"},
		{"duplicate ids", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s1","tool":"hosting.list_sites","args":{}}]`, session.CodeInvalidPlan, "s1"},
		{"unknown fact", `plan: [{"id":"s1","tool":"hosting.get_server","args":{"server":{"$ref":"fact:999#/name"}}}]`, session.CodeInvalidPlan, "fact:999"},
		{"nested ref", `plan: [{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"messaging.send_message","args":{"to":"bob","body":"x","subject":{"a":{"$ref":"s1"}}}}]`, session.CodeInvalidPlan, "whole parameter"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			e := kt.New(t, kt.Options{})
			out := e.Say(t, kt.Alice, c.plan)
			if kt.ErrCode(out) != c.code {
				t.Fatalf("code %q, want %q: %s", kt.ErrCode(out), c.code, kt.Dump(out))
			}
			if !strings.Contains(kt.Dump(out), c.says) {
				t.Fatalf("explanation lacks %q: %s", c.says, kt.Dump(out))
			}
			for _, r := range e.Audit(t, "acme") {
				if r.Kind == "dispatch" || r.Kind == "proposed" {
					t.Fatalf("something ran: %s", r.Data)
				}
			}
		})
	}
}

// CHAIN-09: a step whose producer failed fails explicitly; independent
// steps still run.
func TestCHAIN09_FailedProducer(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Alice, `plan: [
	 {"id":"s1","tool":"hosting.start_server","args":{"server":"web-1"}},
	 {"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/name"}},"depends_on":["s1"]},
	 {"id":"s3","tool":"hosting.list_sites","args":{}}]`)
	d := kt.Dump(out)
	if !strings.Contains(d, "conflict") || !strings.Contains(d, session.CodeDependencyFailed) || !strings.Contains(d, "[s3]") {
		t.Fatalf("%s", d)
	}
	if !strings.Contains(kt.TextOf(out), "1 of 3 steps done, 1 failed, 1 cancelled") {
		t.Fatalf("summary: %s", kt.TextOf(out))
	}
	if count(e.Audit(t, "acme"), "dispatch", "hosting.get_server") != 0 {
		t.Fatal("the dependent step ran with placeholder data")
	}
}

// SAFE-10 CHAIN-06: several confirmations in one chain, each at its own
// level, each audited per step.
func TestCHAIN_SeveralConfirmations(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Alice, `plan: [
	 {"id":"s1","tool":"hosting.snapshot_server","args":{"server":"web-1"}},
	 {"id":"s2","tool":"hosting.resize_server","args":{"server":"web-1","size":"xl"},"depends_on":["s1"]},
	 {"id":"s3","tool":"hosting.stop_server","args":{"server":"web-2"}}]`)
	c2 := kt.Card(t, out)
	if c2.Step != "s2" || len(c2.Remaining) != 1 || c2.Remaining[0].ID != "s3" {
		t.Fatalf("first card %s", kt.Dump(out))
	}
	out = e.Decide(t, kt.Alice, c2.ID, session.ActionAccept, "")
	c3 := kt.Card(t, out)
	if c3.Step != "s3" || c3.SafetyLevel != 3 || len(c3.Impact.Cascade) == 0 {
		t.Fatalf("second card %s", kt.Dump(out))
	}
	out = e.Decide(t, kt.Alice, c3.ID, session.ActionAccept, "")
	if !strings.Contains(kt.TextOf(out), "3 of 3 steps done") {
		t.Fatalf("final %s", kt.Dump(out))
	}
	rows := e.Audit(t, "acme")
	for _, step := range []string{"s1", "s2", "s3"} {
		if count(rows, "dispatch", `"step":"`+step+`"`) != 1 || count(rows, "result", `"step":"`+step+`"`) != 1 {
			t.Errorf("step %s: dispatch/result not audited once", step)
		}
	}
	for _, c := range []*session.ProposalCard{c2, c3} {
		if count(rows, "confirmed", string(c.ID)) != 1 || count(rows, "proposed", `"step":"`+string(c.Step)+`"`) != 1 {
			t.Errorf("step %s: proposal/confirmation not audited", c.Step)
		}
	}
	if size := serverStatus(t, e, kt.Alice, "web-1")["size"]; size != "xl" {
		t.Fatalf("size %v", size)
	}
}

// Rejecting a step cancels its dependents and says so.
func TestCHAIN_RejectCancelsDependents(t *testing.T) {
	e := kt.New(t, kt.Options{})
	out := e.Say(t, kt.Alice, `plan: [
	 {"id":"s1","tool":"hosting.restart_server","args":{"server":"web-1"}},
	 {"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/name"}}},
	 {"id":"s3","tool":"hosting.list_sites","args":{}}]`)
	card := kt.Card(t, out)
	res := e.Decide(t, kt.Alice, card.ID, session.ActionReject, "")
	d := kt.Dump(res)
	if !strings.Contains(d, "Step s2 (hosting.get_server) was not run because step s1 was rejected") || !strings.Contains(d, "[s3]") {
		t.Fatalf("%s", d)
	}
}

// CHAIN-08 AF-02: later turns refer to earlier results through the ledger.
func TestCHAIN08_ReferToEarlierTurn(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	f := lastFact(t, e, kt.Alice, "hosting.list_servers")
	var list struct {
		Servers []struct{ Name string } `json:"servers"`
	}
	_ = json.Unmarshal(f.Output, &list)
	out := e.Say(t, kt.Alice, fmt.Sprintf(`plan: [{"id":"s1","tool":"hosting.restart_server","args":{"server":{"$ref":"fact:%d#/servers/0/name"}}}]`, f.ID))
	card := kt.Card(t, out)
	if string(card.Args) != fmt.Sprintf(`{"server":%q}`, list.Servers[0].Name) {
		t.Fatalf("args %s, want the first server %s", card.Args, list.Servers[0].Name)
	}
	// Another actor cannot reach alice's facts.
	out = e.Say(t, kt.Bob, fmt.Sprintf(`plan: [{"id":"s1","tool":"hosting.get_server","args":{"server":{"$ref":"fact:%d#/servers/0/name"}}}]`, f.ID))
	if kt.ErrCode(out) != session.CodeInvalidPlan {
		t.Fatalf("bob used alice's fact: %s", kt.Dump(out))
	}
	// "How many of those are in eu-west?" is answered from the fact.
	out = e.Say(t, kt.Alice, fmt.Sprintf(`answer: {"fact":%d,"path":"/servers","where":{"region":"eu-west"},"op":"count","field":"name"}`, f.ID))
	if got := kt.TextOf(out); !strings.HasPrefix(got, "2 of the 4 servers with region eu-west: web-1, web-2") {
		t.Fatalf("answer %q", got)
	}
	// The answer is a fact: "those" now means the two matched servers.
	af := lastFact(t, e, kt.Alice, string(kernel.AnswerTool))
	if string(af.Output) != `{"servers":[{"name":"web-1","region":"eu-west","size":"m","status":"running"},{"name":"web-2","region":"eu-west","size":"m","status":"running"}]}` {
		t.Fatalf("answer fact %s", af.Output)
	}
}
