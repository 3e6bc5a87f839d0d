package alerts

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

func crit(fp string) Alert {
	return Alert{Fingerprint: fp, Severity: "critical", Title: "web-2 down"}
}

func wantPages(t *testing.T, h *harness, want ...string) {
	t.Helper()
	if got := h.bus.pages(); !slices.Equal(got, want) {
		t.Fatalf("pages = %v, want %v", got, want)
	}
}

// The on-call person's rules by severity: Slack at once, Telegram after
// two minutes; no ack, so carol (level 1) is paged after five minutes.
func TestEscalationFollowsRulesAndLevels(t *testing.T) {
	h := newHarness(t, testConfig())
	o := h.receive(crit("fp1"))
	if o.State != session.AlertFiring || o.Count != 1 {
		t.Fatalf("outcome %+v", o)
	}
	wantPages(t, h, "alice@slack")
	h.advance(time.Minute)
	wantPages(t, h, "alice@slack")
	h.advance(time.Minute)
	wantPages(t, h, "alice@slack", "alice@telegram")
	h.advance(3 * time.Minute)
	wantPages(t, h, "alice@slack", "alice@telegram", "carol@telegram")
	h.advance(time.Hour)
	wantPages(t, h, "alice@slack", "alice@telegram", "carol@telegram")
	if n := h.audit.count(KindNotified); n != 3 {
		t.Fatalf("%d notifications audited, want 3", n)
	}
}

// A repeat bumps the count and edits the posted copy; it never pages
// again, and an acknowledged alert's repeats never page either.
func TestRepeatEditsCopiesNeverPages(t *testing.T) {
	h := newHarness(t, testConfig())
	first := h.receive(crit("fp"))
	o := h.receive(crit("fp"))
	if o.Alert != first.Alert || o.Count != 2 {
		t.Fatalf("repeat: %+v, want the same alert counted twice", o)
	}
	wantPages(t, h, "alice@slack")
	edits := h.bus.edits()
	if len(edits) != 1 || edits[0].Count != 2 {
		t.Fatalf("edits = %+v; want the slack copy edited to count 2", edits)
	}
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertAck}); err != nil {
		t.Fatal(err)
	}
	h.receive(crit("fp"))
	h.advance(time.Hour)
	wantPages(t, h, "alice@slack")
}

// An ack stops every pending notification (Telegram, level 1) and edits
// every posted copy.
func TestAckStopsPendingAndEditsEveryCopy(t *testing.T) {
	h := newHarness(t, testConfig())
	o := h.receive(crit("fp"))
	h.advance(2 * time.Minute) // slack and telegram posted
	card, err := h.act("alice", session.AlertAct{Kind: session.AlertAck, Alert: o.Alert, From: session.Address{Channel: "slack"}})
	if err != nil || card.State != session.AlertAcknowledged || card.AckedBy != "alice" {
		t.Fatalf("ack: %+v, %v", card, err)
	}
	h.advance(time.Hour)
	wantPages(t, h, "alice@slack", "alice@telegram")
	var chans []string
	for _, p := range h.bus.out {
		if p.card != nil && p.card.Edit && p.card.State == session.AlertAcknowledged {
			chans = append(chans, string(p.out.To.Channel))
		}
	}
	slices.Sort(chans)
	if !slices.Equal(chans, []string{"slack", "telegram"}) {
		t.Fatalf("acknowledged copies edited on %v, want slack and telegram", chans)
	}
	steps, _ := h.st.Steps(context.Background(), o.Alert)
	for _, st := range steps {
		if st.State == store.AlertStepPending {
			t.Fatalf("step %s still pending after the ack", st.Key)
		}
	}
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertAck, Alert: o.Alert}); err == nil {
		t.Fatal("a second ack was accepted")
	} else if code, _ := session.ErrorOf(err); code != session.CodeAlertClosed {
		t.Fatalf("second ack: %s", code)
	}
}

// PRO-06: the actor suppresses an alert (snooze, always time-limited); it
// ends by itself and the alert pages again; a severity rise
// breaks through it at once.
func TestSnoozeExpiresAndSeverityRiseBreaksThrough(t *testing.T) {
	h := newHarness(t, testConfig())
	o := h.receive(Alert{Fingerprint: "fp", Severity: "warning", Title: "disk"})
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertSnooze, For: 30 * time.Minute}); err != nil {
		t.Fatal(err)
	}
	h.advance(29 * time.Minute)
	wantPages(t, h, "alice@slack")
	h.advance(2 * time.Minute)
	wantPages(t, h, "alice@slack", "alice@slack")
	if e, _ := h.st.Episode(context.Background(), o.Alert); e.State != session.AlertFiring {
		t.Fatalf("after the snooze: %s", e.State)
	}
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertSnooze, For: time.Hour}); err != nil {
		t.Fatal(err)
	}
	h.receive(Alert{Fingerprint: "fp", Severity: "critical", Title: "disk"})
	wantPages(t, h, "alice@slack", "alice@slack", "alice@slack")
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertSnooze, For: 48 * time.Hour}); err == nil {
		t.Fatal("a snooze of two days was accepted")
	}
}

// A re-fire within the flap window reopens the same episode and pages;
// after the window it is a new episode.
func TestFlapWindowReopensSameEpisode(t *testing.T) {
	h := newHarness(t, testConfig())
	first := h.receive(crit("fp"))
	h.receive(Alert{Fingerprint: "fp", Resolved: true})
	h.advance(5 * time.Minute)
	again := h.receive(crit("fp"))
	if again.Alert != first.Alert || again.Count != 2 || again.State != session.AlertFiring {
		t.Fatalf("re-fire within the window: %+v, want %s reopened", again, first.Alert)
	}
	h.receive(Alert{Fingerprint: "fp", Resolved: true})
	h.advance(11 * time.Minute)
	later := h.receive(crit("fp"))
	if later.Alert == first.Alert {
		t.Fatal("a re-fire after the window reopened the old episode")
	}
	if o := h.receive(Alert{Fingerprint: "nothing", Resolved: true}); !o.Duplicate {
		t.Fatalf("resolving nothing: %+v", o)
	}
}

// Quiet hours hold a warning for the digest at their end; a critical
// alert goes out at once.
func TestQuietHoursHoldNonCriticalForDigest(t *testing.T) {
	h := newHarness(t, testConfig())
	h.clk.Add(13 * time.Hour) // 23:00 UTC, inside 22:00–07:00
	h.receive(Alert{Fingerprint: "w", Severity: "warning", Title: "disk 80%"})
	wantPages(t, h)
	h.receive(crit("c"))
	wantPages(t, h, "alice@slack")
	h.advance(7 * time.Hour) // 06:00: still quiet
	n := len(h.bus.out)
	h.advance(time.Hour + time.Minute) // 07:00 passed
	var digest bool
	for _, p := range h.bus.out[n:] {
		if len(p.out.Parts) > 1 {
			if t0, ok := p.out.Parts[0].(*session.Text); ok && t0.Text != "" {
				digest = true
			}
		}
	}
	if !digest || h.audit.count(KindHeld) != 1 {
		t.Fatalf("no digest at the end of quiet hours (held %d)", h.audit.count(KindHeld))
	}
}

// A report with a receipt seen before changes nothing.
func TestReceiptIsIdempotent(t *testing.T) {
	h := newHarness(t, testConfig())
	a := crit("fp")
	a.Receipt = "fp/firing/t1"
	h.receive(a)
	o := h.receive(a)
	if !o.Duplicate {
		t.Fatalf("resend: %+v", o)
	}
	if e, _ := h.st.LatestEpisode(context.Background(), "acme", "api", "fp"); e.Count != 1 {
		t.Fatalf("count %d after a resend", e.Count)
	}
}

// A page a crash left claimed is found on the bus and not sent again; one
// that never reached the bus is sent once.
func TestRecoverNeitherLosesNorRepeats(t *testing.T) {
	h := newHarness(t, testConfig())
	ctx := context.Background()
	o := h.receive(crit("fp"))
	tg := telegramStep(t, h, o.Alert)
	h.clk.Add(2 * time.Minute)
	if won, err := h.st.ClaimStep(ctx, tg.Key, h.clk.Now(), h.svc.mark(ctx)); !won || err != nil {
		t.Fatalf("claim: %v %v", won, err)
	}
	// The "crash": claimed, never carried out. Recovery sends it once.
	if err := h.svc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	wantPages(t, h, "alice@slack", "alice@telegram")
	// Claimed again by hand after it was sent: recovery finds it.
	if err := h.svc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	wantPages(t, h, "alice@slack", "alice@telegram")
}

// Recovery of a step whose page reached the bus before the crash.
func TestRecoverFindsPostedPage(t *testing.T) {
	h := newHarness(t, testConfig())
	ctx := context.Background()
	o := h.receive(crit("fp"))
	e, _ := h.st.Episode(ctx, o.Alert)
	tg := telegramStep(t, h, o.Alert)
	h.clk.Add(2 * time.Minute)
	_, _ = h.st.ClaimStep(ctx, tg.Key, h.clk.Now(), h.svc.mark(ctx))
	if _, _, err := h.svc.notify(ctx, e, tg); err != nil { // posted, then the "crash" before FinishStep
		t.Fatal(err)
	}
	if err := h.svc.Recover(ctx); err != nil {
		t.Fatal(err)
	}
	wantPages(t, h, "alice@slack", "alice@telegram")
	steps, _ := h.st.Steps(ctx, o.Alert)
	for _, st := range steps {
		if st.Key == tg.Key && st.State != store.AlertStepSent {
			t.Fatalf("recovered step is %s", st.State)
		}
	}
}

// Escalate pages the next level now, once; the scheduled one is skipped.
func TestEscalateNow(t *testing.T) {
	h := newHarness(t, testConfig())
	h.receive(crit("fp"))
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertEscalate}); err != nil {
		t.Fatal(err)
	}
	wantPages(t, h, "alice@slack", "carol@telegram")
	h.advance(time.Hour)
	wantPages(t, h, "alice@slack", "carol@telegram", "alice@telegram")
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertEscalate}); err == nil {
		t.Fatal("escalated past the last level")
	}
}

// Unack starts a new round: the on-call person is paged again.
func TestUnackPagesAgain(t *testing.T) {
	h := newHarness(t, testConfig())
	h.receive(crit("fp"))
	_, _ = h.act("alice", session.AlertAct{Kind: session.AlertAck})
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertUnack}); err != nil {
		t.Fatal(err)
	}
	wantPages(t, h, "alice@slack", "alice@slack")
}

// An alert of another tenant is not found.
func TestActOtherTenantNotFound(t *testing.T) {
	h := newHarness(t, testConfig())
	o := h.receive(crit("fp"))
	_, err := h.svc.Act(context.Background(), session.Actor{ID: "eve", Tenant: "globex"}, session.AlertAct{Kind: session.AlertAck, Alert: o.Alert})
	if code, _ := session.ErrorOf(err); code != session.CodeNotFound {
		t.Fatalf("other tenant: %v", err)
	}
}

// No working route: carol has only telegram in her rules; unlinked, she
// is warned about and paged on every channel of her session.
func TestNoWorkingRouteWarns(t *testing.T) {
	h := newHarness(t, testConfig())
	h.svc.p.Identity = identity{links: map[session.ActorID][]session.ChannelID{"alice": {"slack"}}}
	h.svc.CheckRoutes(context.Background())
	if h.audit.count(KindNoRoute) != 2 { // bob (no rules, no links) and carol; alice has slack
		t.Fatalf("%d no-route warnings, want 2", h.audit.count(KindNoRoute))
	}
	h.receive(crit("fp"))
	h.advance(5 * time.Minute)
	wantPages(t, h, "alice@slack", "carol@")
}

func dumpSteps(t *testing.T, h *harness, id session.AlertID) {
	steps, _ := h.st.Steps(context.Background(), id)
	for _, st := range steps {
		t.Logf("%s %s due %s %s", st.Key, st.State, st.Due.Format("15:04"), st.Note)
	}
}

// The card's series comes from the evidence facts only: the observations
// of the alert's resource, in order, with the fact each came from.
func TestCardSeriesFromLedgerFacts(t *testing.T) {
	h := newHarness(t, testConfig())
	ctx := context.Background()
	var ids []int64
	for i, v := range []string{"91.5", "94", "97.25"} {
		out := `{"observations":[{"series":"cpu","resource":"web-2","value":` + v + `,"unit":"%","at":"2026-03-02T09:5` + string(rune('0'+i)) + `:00Z"},` +
			`{"series":"cpu","resource":"web-1","value":3,"unit":"%"}]}`
		id, err := h.st.Record(ctx, session.Fact{Session: "s:acme:probe", Tool: "hosting.server_metrics", Args: []byte(`{}`), OK: true, Output: []byte(out), At: t0}, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, id)
	}
	h.receive(Alert{Fingerprint: "cpu", Severity: "critical", Title: "cpu high", Resource: "web-2", Evidence: ids})
	c := h.bus.out[0].card
	if len(c.Series) != 3 || c.Series[2].Value != 97.25 || c.Series[0].Fact != ids[0] || c.Unit != "%" {
		t.Fatalf("series %+v unit %q", c.Series, c.Unit)
	}
}

// turnsFake answers a structured call with a proposal card, as the
// kernel's gate does for a write, and records the inbounds.
type turnsFake struct{ ins []session.Inbound }

func (f *turnsFake) Handle(_ context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	f.ins = append(f.ins, in)
	return session.Outbound{Parts: []session.Part{&session.ProposalCard{ID: "p_fix", Tool: in.Call.Tool, SafetyLevel: 2}}}, nil
}

// PRO-06: a suggested fix becomes a proposal of the person paged, through a
// structured call (the gate decides; nothing runs), shown with the alert;
// every channel shows the same proposal; acknowledging does not decide it.
func TestFixBecomesProposal(t *testing.T) {
	h := newHarness(t, testConfig())
	tf := &turnsFake{}
	h.svc.p.Turns = tf
	a := crit("cert")
	a.Fix = []byte(`{"tool":"hosting.renew_certificate","args":{"domain":"blog.acme.test"}}`)
	h.receive(a)
	h.advance(2 * time.Minute) // the telegram page
	if len(tf.ins) != 2 || tf.ins[0].Call == nil || tf.ins[0].Call.Tool != "hosting.renew_certificate" {
		t.Fatalf("inbounds %+v", tf.ins)
	}
	if tf.ins[0].ID != tf.ins[1].ID || tf.ins[0].From.Channel != tf.ins[1].From.Channel {
		t.Fatalf("the fix was proposed twice: %+v", tf.ins)
	}
	first := h.bus.out[0]
	if first.card.Fix != "p_fix" || len(first.out.Parts) != 2 {
		t.Fatalf("page %+v", first.out.Parts)
	}
	if _, ok := first.out.Parts[1].(*session.ProposalCard); !ok {
		t.Fatalf("no proposal card with the alert: %#v", first.out.Parts[1])
	}
	if h.audit.count(KindFix) != 2 {
		t.Fatalf("%d fix records", h.audit.count(KindFix))
	}
	if _, err := h.act("alice", session.AlertAct{Kind: session.AlertAck}); err != nil {
		t.Fatal(err)
	}
	if len(tf.ins) != 2 {
		t.Fatal("the ack made a decision on the fix")
	}
}

// telegramStep is the alert's notification step on Telegram.
func telegramStep(t *testing.T, h *harness, id session.AlertID) store.StepRow {
	t.Helper()
	steps, _ := h.st.Steps(context.Background(), id)
	for _, st := range steps {
		if st.Channel == "telegram" {
			return st
		}
	}
	t.Fatal("no telegram step")
	return store.StepRow{}
}
