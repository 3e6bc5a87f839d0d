package kernel_test

import (
	"context"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

func serverStatus(t *testing.T, e *kt.Env, a session.Actor, name string) map[string]any {
	t.Helper()
	return e.Call(t, a, "hosting.get_server", `{"server":"`+name+`"}`)
}

func kinds(rows []kt.AuditRow, turn string) []string {
	var out []string
	for _, r := range rows {
		if turn == "" || r.Turn == turn {
			out = append(out, r.Kind)
		}
	}
	return out
}

func count(rows []kt.AuditRow, kind, contains string) int {
	n := 0
	for _, r := range rows {
		if r.Kind == kind && strings.Contains(r.Data, contains) {
			n++
		}
	}
	return n
}

// SAFE-02 SAFE-06 SAFE-10: confirmation escalates with the level; each
// step is gated at its own level (single-step plans here; chains add more
// steps to the same gate).
func TestSAFE02_Escalation(t *testing.T) {
	e := kt.New(t, kt.Options{})
	cases := []struct {
		name, req string
		propose   bool
		phrase    bool
		cascade   bool
	}{
		{"level 0 runs", `hosting.list_servers {}`, false, false, false},
		{"level 1 runs", `hosting.snapshot_server {"server":"web-2"}`, false, false, false},
		{"level 2 two-step with cascade", `hosting.restart_server {"server":"web-1"}`, true, false, true},
		{"level 2 without dependents", `hosting.restart_server {"server":"staging-1"}`, true, false, false},
		{"level 3 two-step with cascade", `hosting.stop_server {"server":"web-1"}`, true, false, true},
		{"level 4 danger phrase", `hosting.delete_server {"server":"staging-1"}`, true, true, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out := e.Say(t, kt.Alice, c.req)
			if code := kt.ErrCode(out); code != "" {
				t.Fatalf("error: %s", kt.Dump(out))
			}
			var card *session.ProposalCard
			for _, p := range out.Parts {
				if x, ok := p.(*session.ProposalCard); ok {
					card = x
				}
			}
			if (card != nil) != c.propose {
				t.Fatalf("proposal = %v, want %v: %s", card != nil, c.propose, kt.Dump(out))
			}
			if card == nil {
				return
			}
			if card.DangerPhraseRequired != c.phrase || (card.CoolingUntil != nil) != c.phrase {
				t.Errorf("danger phrase %v cooling %v, want %v", card.DangerPhraseRequired, card.CoolingUntil, c.phrase)
			}
			if (len(card.Impact.Cascade) > 0) != c.cascade {
				t.Errorf("cascade %v, want %v", card.Impact.Cascade, c.cascade)
			}
		})
	}
}

// SAFE-02: level 1 asks when the tenant's policy says so.
func TestSAFE02_Level1ByPolicy(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{ConfirmLevel1: map[session.TenantID]bool{"acme": true}}})
	c := kt.Card(t, e.Say(t, kt.Alice, `hosting.snapshot_server {"server":"web-2"}`))
	if c.SafetyLevel != 1 {
		t.Fatalf("level %d", c.SafetyLevel)
	}
	// globex has no such policy.
	out := e.Say(t, kt.Dave, `hosting.snapshot_server {"server":"gx-web-1"}`)
	if strings.Contains(kt.Dump(out), "proposal_id") {
		t.Fatalf("globex should run level 1 directly: %s", kt.Dump(out))
	}
}

// SAFE-03 SAFE-11 OBS-05: propose → confirm → execute the exact arguments once.
func TestSAFE03_TwoStepExactlyOnce(t *testing.T) {
	e := kt.New(t, kt.Options{})
	before := serverStatus(t, e, kt.Alice, "web-1")
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-1"}`))
	if got := serverStatus(t, e, kt.Alice, "web-1"); got["restarts"] != before["restarts"] {
		t.Fatalf("proposal changed state before confirmation: %v → %v", before, got)
	}
	if card.ArgsHash != kernel.ArgsHash(card.Tool, card.Args) {
		t.Fatalf("shown hash does not match shown args")
	}
	out := e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")
	if kt.ErrCode(out) != "" {
		t.Fatalf("accept: %s", kt.Dump(out))
	}
	after := serverStatus(t, e, kt.Alice, "web-1")
	if after["restarts"] == before["restarts"] {
		t.Fatalf("restart did not happen: %v", after)
	}
	// Executed arguments are byte-identical to what was shown.
	facts, _ := e.Store.Recent(context.Background(), session.SessionFor(kt.Alice), session.Cap{Count: 50})
	found := false
	for _, f := range facts {
		if f.Tool == "hosting.restart_server" {
			found = true
			if string(f.Args) != string(card.Args) || f.ArgsHash != card.ArgsHash {
				t.Fatalf("executed %s (%s), shown %s (%s)", f.Args, f.ArgsHash, card.Args, card.ArgsHash)
			}
		}
	}
	if !found {
		t.Fatal("no fact for the restart")
	}
	// A second acceptance executes nothing and says so.
	again := e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")
	if kt.ErrCode(again) != session.CodeAlreadyExecuted {
		t.Fatalf("second accept: %s", kt.Dump(again))
	}
	if n := serverStatus(t, e, kt.Alice, "web-1")["restarts"]; n != after["restarts"] {
		t.Fatalf("second accept ran again: %v", n)
	}
	// OBS-05: the trail reconstructs the whole story, in order.
	rows := e.Audit(t, "acme")
	want := []string{"asked", "context", "classified", "planned", "authorized", "proposed"}
	var proposeTurn string
	for _, r := range rows {
		if r.Kind == "proposed" && strings.Contains(r.Data, string(card.ID)) {
			proposeTurn = r.Turn
		}
	}
	if got := kinds(rows, proposeTurn); strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("proposal turn audit = %v, want %v", got, want)
	}
	if count(rows, "confirmed", string(card.ID)) != 1 || count(rows, "dispatch", "hosting.restart_server") != 1 {
		t.Errorf("want one confirmation and one dispatch of the restart")
	}
}

// SAFE-11: concurrent acceptances (double click, retries) execute once.
func TestSAFE11_ConcurrentAcceptExecutesOnce(t *testing.T) {
	e := kt.New(t, kt.Options{})
	before := serverStatus(t, e, kt.Alice, "web-2")["restarts"].(float64)
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"web-2"}`))
	var wg sync.WaitGroup
	codes := make([]string, 8)
	for i := range codes {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			codes[i] = kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, ""))
		}(i)
	}
	wg.Wait()
	ok := 0
	for _, c := range codes {
		switch c {
		case "":
			ok++
		case session.CodeAlreadyExecuted:
		default:
			t.Errorf("unexpected code %q", c)
		}
	}
	after := serverStatus(t, e, kt.Alice, "web-2")["restarts"].(float64)
	if ok != 1 || after != before+1 {
		t.Fatalf("successes %d, restarts %v → %v; want exactly one", ok, before, after)
	}
}

// SAFE-11: only the proposal's actor may accept it.
func TestSAFE11_OtherActorCannotAccept(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Bob, `hosting.restart_server {"server":"web-1"}`))
	for _, who := range []session.Actor{kt.Alice, kt.Carol} {
		if c := kt.ErrCode(e.Decide(t, who, card.ID, session.ActionAccept, "")); c != session.CodeNotYourProposal {
			t.Errorf("%s accepting bob's proposal: %q", who.ID, c)
		}
	}
	if c := kt.ErrCode(e.Decide(t, kt.Dave, card.ID, session.ActionAccept, "")); c != session.CodeProposalNotFound {
		t.Errorf("dave (other tenant): %q", c)
	}
	if n := count(e.Audit(t, "acme"), "confirmation_refused", session.CodeNotYourProposal); n != 2 {
		t.Errorf("refusals audited %d times, want 2", n)
	}
	if c := kt.ErrCode(e.Decide(t, kt.Bob, card.ID, session.ActionAccept, "")); c != "" {
		t.Fatalf("bob: %q", c)
	}
}

// SAFE-12: proposals expire.
func TestSAFE12_Expiry(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.resize_server {"server":"web-1","size":"xl"}`))
	if got := card.ExpiresAt.Sub(e.Clock.Now()); got != 10*time.Minute {
		t.Fatalf("default expiry %s", got)
	}
	e.Clock.Advance(10*time.Minute + time.Second)
	if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")); c != session.CodeProposalExpired {
		t.Fatalf("accept after expiry: %q", c)
	}
	if size := serverStatus(t, e, kt.Alice, "web-1")["size"]; size != "m" {
		t.Fatalf("expired proposal changed size to %v", size)
	}
	if n := count(e.Audit(t, "acme"), "expired", string(card.ID)); n != 1 {
		t.Errorf("expiry audited %d times", n)
	}
}

// SAFE-07 SAFE-08: level 4 needs the exact target name, after the cooling period.
func TestSAFE07_SAFE08_DangerPhraseAndCooling(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.delete_server {"server":"staging-1"}`))
	if !card.DangerPhraseRequired || card.CoolingUntil == nil || card.CoolingUntil.Sub(e.Clock.Now()) != 30*time.Second {
		t.Fatalf("card: %+v", card)
	}
	// Right phrase, too early: refused by the server.
	if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "staging-1")); c != session.CodeCoolingPeriod {
		t.Fatalf("early accept: %q", c)
	}
	e.Clock.Advance(31 * time.Second)
	for _, wrong := range []string{"", "yes", "confirm", "STAGING-1", "staging-2", "staging", "staging-1 please"} {
		if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, wrong)); c != session.CodeWrongDangerPhrase {
			t.Fatalf("phrase %q: %q", wrong, c)
		}
	}
	// Typed confirmation without the phrase is refused too.
	if c := kt.ErrCode(e.Say(t, kt.Alice, "confirm "+string(card.ID))); c != session.CodeWrongDangerPhrase {
		t.Fatalf("typed confirm without phrase: %q", c)
	}
	servers := e.Call(t, kt.Alice, "hosting.list_servers", `{}`)
	if !strings.Contains(mustJSON(servers), "staging-1") {
		t.Fatal("staging-1 vanished before a valid confirmation")
	}
	out := e.Say(t, kt.Alice, "confirm "+string(card.ID)+" staging-1")
	if kt.ErrCode(out) != "" {
		t.Fatalf("valid confirmation: %s", kt.Dump(out))
	}
	servers = e.Call(t, kt.Alice, "hosting.list_servers", `{}`)
	if strings.Contains(mustJSON(servers), "staging-1") {
		t.Fatal("staging-1 still listed after deletion")
	}
}

// SAFE-08: the cooling period can only be raised.
func TestSAFE08_CoolingOnlyUpward(t *testing.T) {
	_, err := kernel.New(kernel.Config{Cooling: 5 * time.Second}, kernel.Deps{})
	if err == nil || !strings.Contains(err.Error(), "cooling") {
		t.Fatalf("cooling 5s accepted: %v", err)
	}
	e := kt.New(t, kt.Options{Config: kernel.Config{Cooling: 90 * time.Second}})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.delete_server {"server":"staging-1"}`))
	if card.CoolingUntil.Sub(e.Clock.Now()) != 90*time.Second {
		t.Fatalf("cooling %s", card.CoolingUntil.Sub(e.Clock.Now()))
	}
}

// SAFE-05 SAFE-06: level 3–4 run the declared backup first; impact lists cascade.
func TestSAFE05_SAFE06_BackupAndCascade(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.stop_server {"server":"web-1"}`))
	im := card.Impact
	if len(im.Targets) != 1 || im.Targets[0].ID != "web-1" || !im.Reversible || im.Backup != "hosting.snapshot_server" {
		t.Fatalf("impact %+v", im)
	}
	cascade := mustJSON(im.Cascade)
	for _, want := range []string{"shop.acme.test"} {
		if !strings.Contains(cascade, want) {
			t.Errorf("cascade %s lacks %s", cascade, want)
		}
	}
	if strings.Contains(cascade, "blog.acme.test") {
		t.Errorf("cascade %s holds blog (on web-2)", cascade)
	}
	out := e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")
	if kt.ErrCode(out) != "" {
		t.Fatalf("accept: %s", kt.Dump(out))
	}
	facts, _ := e.Store.Recent(context.Background(), session.SessionFor(kt.Alice), session.Cap{Count: 2})
	if len(facts) != 2 || facts[0].Tool != "hosting.snapshot_server" || facts[1].Tool != "hosting.stop_server" {
		t.Fatalf("facts order: %+v", facts)
	}
	if !strings.Contains(kt.TextOf(out), "napshot") {
		t.Errorf("reply does not mention the backup: %q", kt.TextOf(out))
	}
	if n := count(e.Audit(t, "acme"), "backup", "hosting.snapshot_server"); n != 1 {
		t.Errorf("backup audited %d times", n)
	}
}

// SAFE-09: RBAC on every dispatch with a per-role ceiling; failures audited.
func TestSAFE09_RolesAndCeilings(t *testing.T) {
	e := kt.New(t, kt.Options{})
	cases := []struct {
		who  session.Actor
		req  string
		code string
	}{
		{kt.Carol, `hosting.list_servers {}`, ""},
		{kt.Carol, `hosting.snapshot_server {"server":"web-1"}`, session.CodeForbidden},
		{kt.Carol, `hosting.restart_server {"server":"web-1"}`, session.CodeForbidden},
		{kt.Carol, `tasks.create_task {"title":"x"}`, session.CodeForbidden},
		{kt.Carol, `messaging.send_message {"to":"bob","body":"hi"}`, session.CodeForbidden},
		{kt.Bob, `hosting.stop_server {"server":"web-2"}`, ""},
		{kt.Bob, `hosting.delete_server {"server":"staging-1"}`, session.CodeSafetyCeiling},
		{kt.Bob, `hosting.drop_database {"database":"orders"}`, session.CodeSafetyCeiling},
	}
	for _, c := range cases {
		out := e.Say(t, c.who, c.req)
		if got := kt.ErrCode(out); got != c.code {
			t.Errorf("%s: %s → %q, want %q (%s)", c.who.ID, c.req, got, c.code, kt.Dump(out))
		}
	}
	rows := e.Audit(t, "acme")
	if n := count(rows, "denied", session.CodeForbidden); n != 4 {
		t.Errorf("forbidden audited %d times, want 4", n)
	}
	if n := count(rows, "denied", session.CodeSafetyCeiling); n != 2 {
		t.Errorf("ceiling audited %d times, want 2", n)
	}
}

// SAFE-04: every dispatch is audited, reads included.
func TestSAFE04_EveryDispatchAudited(t *testing.T) {
	e := kt.New(t, kt.Options{})
	e.Say(t, kt.Alice, `hosting.list_servers {}`)
	e.Say(t, kt.Alice, `tasks.list_tasks {}`)
	e.Say(t, kt.Alice, `hosting.get_server {"server":"nope-9"}`)
	rows := e.Audit(t, "acme")
	if d, r := count(rows, "dispatch", ""), count(rows, "result", ""); d != 2 || r != 2 {
		t.Fatalf("dispatch %d result %d, want 2 and 2 (the unknown server is refused before dispatch)", d, r)
	}
}

// SAFE-01…: rejecting cancels and says so.
func TestReject(t *testing.T) {
	e := kt.New(t, kt.Options{})
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.resize_server {"server":"web-2","size":"s"}`))
	out := e.Say(t, kt.Alice, "reject "+string(card.ID))
	if kt.ErrCode(out) != "" || !strings.Contains(kt.TextOf(out), "nothing") {
		t.Fatalf("reject: %s", kt.Dump(out))
	}
	if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")); c != session.CodeProposalRejected {
		t.Fatalf("accept after reject: %q", c)
	}
	if size := serverStatus(t, e, kt.Alice, "web-2")["size"]; size != "m" {
		t.Fatalf("size %v", size)
	}
}

func TestUnknownProposal(t *testing.T) {
	e := kt.New(t, kt.Options{})
	if c := kt.ErrCode(e.Decide(t, kt.Alice, "p_doesnotexist", session.ActionAccept, "")); c != session.CodeProposalNotFound {
		t.Fatalf("%q", c)
	}
}

func mustJSON(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}

// A redelivered inbound event (same dedupe key) runs nothing again and gets
// the first outcome back.
func TestInboundDedupe(t *testing.T) {
	e := kt.New(t, kt.Options{})
	send := sender(t, e, kt.Alice)
	first := send("evt-1", `hosting.restart_server {"server":"web-1"}`, nil)
	again := send("evt-1", `hosting.restart_server {"server":"web-1"}`, nil)
	c1, c2 := kt.Card(t, first), kt.Card(t, again)
	if c1.ID != c2.ID || first.Turn != again.Turn {
		t.Fatalf("redelivery made a new proposal: %s vs %s", c1.ID, c2.ID)
	}
	acc := &session.Action{Kind: session.ActionAccept, Proposal: c1.ID}
	a1 := send("evt-2", "", acc)
	a2 := send("evt-2", "", acc)
	if kt.ErrCode(a1) != "" || kt.Dump(a1) != kt.Dump(a2) {
		t.Fatalf("accept redelivery: %s / %s", kt.Dump(a1), kt.Dump(a2))
	}
	if n := count(e.Audit(t, "acme"), "dispatch", "hosting.restart_server"); n != 1 {
		t.Fatalf("%d dispatches", n)
	}
	if n := count(e.Audit(t, "acme"), "duplicate", "evt-"); n != 2 {
		t.Fatalf("%d duplicates audited", n)
	}
}

// L2 quotas: an actor over their turn quota is refused with a stable code;
// other actors are unaffected.
func TestQuota(t *testing.T) {
	e := kt.New(t, kt.Options{Config: kernel.Config{TurnsPerMinute: 4}})
	codes := map[string]int{}
	for i := 0; i < 5; i++ {
		codes[kt.ErrCode(e.Say(t, kt.Bob, `hosting.list_servers {}`))]++
	}
	if codes[session.CodeRateLimited] == 0 {
		t.Fatalf("no refusal: %v", codes)
	}
	if c := kt.ErrCode(e.Say(t, kt.Alice, `hosting.list_servers {}`)); c != "" {
		t.Fatalf("alice limited by bob's quota: %q", c)
	}
	e.Clock.Advance(time.Minute)
	if c := kt.ErrCode(e.Say(t, kt.Bob, `hosting.list_servers {}`)); c != "" {
		t.Fatalf("quota did not refill: %q", c)
	}
}

// LRO-04 (proposals part) and SAFE-11: a proposal caught between acceptance
// and its outcome by a crash is settled as failed at start-up and never runs.
func TestRecoverInterruptedProposal(t *testing.T) {
	e := kt.New(t, kt.Options{})
	ctx := context.Background()
	card := kt.Card(t, e.Say(t, kt.Alice, `hosting.restart_server {"server":"db-1"}`))
	if ok, err := e.Store.TransitionProposal(ctx, card.ID, "pending", "executing", e.Clock.Now(), nil); !ok || err != nil {
		t.Fatalf("simulate crash: %v %v", ok, err)
	}
	n, err := e.K.Recover(ctx)
	if err != nil || n != 1 {
		t.Fatalf("recover: %d %v", n, err)
	}
	if c := kt.ErrCode(e.Decide(t, kt.Alice, card.ID, session.ActionAccept, "")); c != session.CodeAlreadyExecuted {
		t.Fatalf("accept after recovery: %q", c)
	}
	if count(e.Audit(t, "acme"), "interrupted", string(card.ID)) != 1 || count(e.Audit(t, "acme"), "dispatch", "restart") != 0 {
		t.Fatal("recovery not audited, or the restart ran")
	}
}
