package slack

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

var modes = []string{ModeSocket, ModeEvents}

func restarts(t *testing.T, e *kerneltest.Env, server string) float64 {
	t.Helper()
	m := e.Call(t, kerneltest.Alice, "hosting.get_server", `{"server":"`+server+`"}`)
	n, _ := m["restarts"].(float64)
	return n
}

// posted returns the calls of a method since seq.
func posted(calls []slacktest.Call, method string) []slacktest.Call {
	var out []slacktest.Call
	for _, c := range calls {
		if c.Method == method {
			out = append(out, c)
		}
	}
	return out
}

// cardIn finds the card among calls.
func cardIn(t *testing.T, calls []slacktest.Call) slacktest.Call {
	t.Helper()
	for _, c := range calls {
		if len(c.Buttons()) > 0 {
			return c
		}
	}
	t.Fatalf("no card in %+v", calls)
	return slacktest.Call{}
}

func button(t *testing.T, card slacktest.Call, accept bool) slacktest.Button {
	t.Helper()
	for _, b := range card.Buttons() {
		if _, acc, ok := chatkit.ParseButtonData(b.Value); ok && acc == accept {
			return b
		}
	}
	t.Fatalf("no accept=%v button on %+v", accept, card.Buttons())
	return slacktest.Button{}
}

func pressOn(card slacktest.Call, user string, b slacktest.Button, trigger string) slacktest.Press {
	return slacktest.Press{TriggerID: trigger, User: user, Channel: card.Channel, MessageTS: card.TS, ThreadTS: card.ThreadTS, ActionID: b.ActionID, Value: b.Value}
}

func turnsWith(e *kerneltest.Env, text string) int {
	n := 0
	for _, tr := range e.Script.Turns {
		if strings.Contains(tr.Text, text) {
			n++
		}
	}
	return n
}

// CHAN-04: a replayed event (same event_id, same trigger_id) makes one
// turn and one execution. A Slack retry of an event this process took
// is not answered again; another redelivery gets the stored answer.
func TestReplayedEvent(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{})
			r := newRig(t, e, rigOptions{mode: mode})
			r.link(t, "UALICE", kerneltest.Alice)
			before := restarts(t, e, "web-1")
			msg := slacktest.Message{EventID: "EvRestart", User: "UALICE", Channel: "DUALICE", Text: `hosting.restart_server {"server":"web-1"}`, TS: r.fake.NextTS()}

			seq := len(r.fake.Calls())
			r.say(t, msg)
			card := cardIn(t, r.fake.Since(seq))

			seq = len(r.fake.Calls())
			retry := msg
			retry.Retry = 1
			r.say(t, retry)
			if got := r.fake.Since(seq); len(got) != 0 {
				t.Fatalf("a retry was answered again: %+v", got)
			}
			r.say(t, msg) // redelivered without a retry mark: the stored answer
			again := cardIn(t, r.fake.Since(seq))
			if again.Buttons()[0].Value != card.Buttons()[0].Value {
				t.Fatalf("redelivery proposed again: %+v vs %+v", again.Buttons(), card.Buttons())
			}
			if n := turnsWith(e, "hosting.restart_server"); n != 1 {
				t.Fatalf("%d turns reached the router", n)
			}

			accept := pressOn(again, "UALICE", button(t, again, true), "trig-accept")
			seq = len(r.fake.Calls())
			r.press(t, accept)
			first := visible(r.fake.Since(seq), "UALICE")
			if len(first) == 0 || !strings.Contains(first[0].Text, "restarted") {
				t.Fatalf("accept: %+v", first)
			}
			accept.Retry = 1
			seq = len(r.fake.Calls())
			r.press(t, accept) // same trigger_id again
			if restarts(t, e, "web-1") != before+1 {
				t.Fatal("a replayed press ran the tool again")
			}
			if got := visible(r.fake.Since(seq), "UALICE"); mode == ModeSocket && len(got) != 0 {
				t.Fatalf("a redelivered envelope was answered again: %+v", got)
			} else if mode == ModeEvents && (len(got) != 1 || got[0].Text != first[0].Text) {
				t.Fatalf("a redelivered press answered differently: %+v vs %+v", got, first)
			}
		})
	}
}

// A press by someone other than the proposal's actor, in a channel, is
// refused to the presser only; nothing runs and the card is untouched. So
// are presses for an unknown and an expired proposal, and presses by an
// unlinked user.
func TestPressRefusals(t *testing.T) {
	for _, mode := range modes {
		t.Run(mode, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{})
			r := newRig(t, e, rigOptions{mode: mode})
			r.link(t, "UALICE", kerneltest.Alice)
			r.link(t, "UBOB", kerneltest.Bob)
			before := restarts(t, e, "web-1")
			seq := len(r.fake.Calls())
			r.say(t, slacktest.Message{User: "UALICE", Channel: "COPS", Mention: true, Text: `hosting.restart_server {"server":"web-1"}`})
			card := cardIn(t, r.fake.Since(seq))
			if card.Channel != "COPS" || card.ThreadTS == "" {
				t.Fatalf("card not in the request's thread: %+v", card)
			}
			forged := slacktest.Button{ActionID: "a:p_aaaaaaaaaaaaaaaa", Value: "a:p_aaaaaaaaaaaaaaaa"}
			cases := []struct {
				name, user string
				b          slacktest.Button
				code       string
			}{
				{"someone else's", "UBOB", button(t, card, true), session.CodeNotYourProposal},
				{"unlinked presser", "UEVE", button(t, card, true), session.CodeUnknownSender},
				{"unknown proposal", "UALICE", forged, session.CodeProposalNotFound},
			}
			for _, c := range cases {
				seq := len(r.fake.Calls())
				r.press(t, pressOn(card, c.user, c.b, ""))
				got := r.fake.Since(seq)
				if len(got) != 1 || got[0].Method != "chat.postEphemeral" || got[0].User != c.user || !strings.Contains(got[0].Text, "["+c.code+"]") {
					t.Fatalf("%s: %+v", c.name, got)
				}
			}
			if restarts(t, e, "web-1") != before {
				t.Fatal("a refused press ran the tool")
			}
			if m, _ := r.fake.MessageAt(card.Channel, card.TS); len(m.Buttons()) != 2 || len(posted(r.fake.Calls(), "chat.update")) != 0 {
				t.Fatalf("card changed: %+v", m)
			}

			seq = len(r.fake.Calls())
			e.Clock.Advance(11 * time.Minute)
			r.press(t, pressOn(card, "UALICE", button(t, card, true), ""))
			got := r.fake.Since(seq)
			eph := posted(got, "chat.postEphemeral")
			if len(eph) != 1 || eph[0].User != "UALICE" || !strings.Contains(eph[0].Text, "["+session.CodeProposalExpired+"]") {
				t.Fatalf("expired: %+v", got)
			}
			waitEdit(t, r, card) // by the press, or by the watcher if it looked first
			if m, _ := r.fake.MessageAt(card.Channel, card.TS); len(m.Buttons()) != 0 || !strings.Contains(m.Text, "Expired") {
				t.Fatalf("expired card: %+v", m)
			}
			if restarts(t, e, "web-1") != before {
				t.Fatal("an expired proposal ran")
			}
		})
	}
}

// An account that is not linked is told how to link: in a direct message,
// and only to itself in a channel.
func TestUnknownSender(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket})
	seq := len(r.fake.Calls())
	r.say(t, slacktest.Message{User: "UNEW", Channel: "DUNEW", Text: "hosting.list_servers {}"})
	r.say(t, slacktest.Message{User: "UNEW", Channel: "CGEN", Mention: true, Text: "hosting.list_servers {}"})
	got := r.fake.Since(seq)
	if len(got) != 2 || got[0].Method != "chat.postMessage" || got[0].Channel != "DUNEW" || got[1].Method != "chat.postEphemeral" || got[1].User != "UNEW" {
		t.Fatalf("answers: %+v", got)
	}
	for _, c := range got {
		if !strings.Contains(c.Text, "[unknown_sender]") || !strings.Contains(slacktest.Unescape(c.Text), `send me "link ABCD-EFGH"`) {
			t.Fatalf("answer does not say how to link: %q", c.Text)
		}
	}
	if len(e.Script.Turns) != 0 {
		t.Fatal("an unknown sender reached the router")
	}
}

// Bot messages, edits and other subtypes, the bot's own messages and
// channel messages that do not mention the bot are ignored.
func TestIgnoredMessages(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	r.link(t, "UALICE", kerneltest.Alice)
	seq := len(r.fake.Calls())
	for _, m := range []slacktest.Message{
		{User: "UALICE", Channel: "DUALICE", SubType: "message_changed", Text: "hosting.list_servers {}"},
		{User: "UALICE", Channel: "DUALICE", SubType: "bot_message", BotID: "B2", Text: "hosting.list_servers {}"},
		{User: "UBOT", Channel: "DUALICE", Text: "hosting.list_servers {}"},
		{User: "UALICE", Channel: "COPS", Text: "hosting.list_servers {}"},
	} {
		r.say(t, m)
	}
	if got := r.fake.Since(seq); len(got) != 0 {
		t.Fatalf("answered: %+v", got)
	}
}

// Replies go to the thread the request came from; a mention is not part
// of the request.
func TestThreads(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket})
	r.link(t, "UALICE", kerneltest.Alice)
	for _, c := range []struct {
		name string
		m    slacktest.Message
	}{
		{"direct message", slacktest.Message{User: "UALICE", Channel: "DUALICE", TS: "1700000100.000001"}},
		{"channel", slacktest.Message{User: "UALICE", Channel: "COPS", Mention: true, TS: "1700000100.000002"}},
		{"channel thread", slacktest.Message{User: "UALICE", Channel: "COPS", Mention: true, TS: "1700000100.000004", ThreadTS: "1700000100.000003"}},
	} {
		t.Run(c.name, func(t *testing.T) {
			seq := len(r.fake.Calls())
			c.m.Text = "hosting.list_servers {}"
			r.say(t, c.m)
			got := r.fake.Since(seq)
			want := c.m.ThreadTS
			if want == "" {
				want = c.m.TS
			}
			if len(got) != 1 || got[0].Channel != c.m.Channel || got[0].ThreadTS != want || !strings.Contains(got[0].Text, "web-1") {
				t.Fatalf("reply %+v, want in %s/%s", got, c.m.Channel, want)
			}
		})
	}
}

// Cards are edited in place (buttons removed) when their proposal is
// accepted, rejected, or expires (found by the watcher).
func TestCardEdits(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents, sweepEvery: 20 * time.Millisecond})
	r.link(t, "UALICE", kerneltest.Alice)
	propose := func(server string) slacktest.Call {
		seq := len(r.fake.Calls())
		r.say(t, slacktest.Message{User: "UALICE", Channel: "DUALICE", Text: `hosting.restart_server {"server":"` + server + `"}`})
		return cardIn(t, r.fake.Since(seq))
	}
	for _, c := range []struct {
		server string
		accept bool
		want   string
	}{
		{"web-1", true, "Confirmed and carried out"},
		{"web-2", false, "Rejected: nothing was changed"},
	} {
		card := propose(c.server)
		if b := card.Buttons(); len(b) != 2 || b[0].Label != "Confirm" || b[0].Style != "primary" || b[1].Label != "Reject" || b[1].Style != "danger" {
			t.Fatalf("buttons %+v", b)
		}
		r.press(t, pressOn(card, "UALICE", button(t, card, c.accept), ""))
		// The press's handler edits it, or the watcher if it looked first.
		waitEdit(t, r, card)
		m, _ := r.fake.MessageAt(card.Channel, card.TS)
		if len(m.Buttons()) != 0 || !strings.Contains(m.Shown(), c.want) || !strings.Contains(m.Text, c.want) {
			t.Fatalf("card after decision: %q %+v", m.Shown(), m.Buttons())
		}
	}

	card := propose("db-1")
	e.Clock.Advance(11 * time.Minute)
	waitEdit(t, r, card)
	if m, _ := r.fake.MessageAt(card.Channel, card.TS); len(m.Buttons()) != 0 || !strings.Contains(m.Shown(), "Expired: nothing was changed") {
		t.Fatalf("expired card: %q", m.Shown())
	}
}

func waitEdit(t *testing.T, r *rig, card slacktest.Call) {
	t.Helper()
	calls, ok := r.fake.Wait(card.Seq, waitLong, func(cs []slacktest.Call) bool {
		for _, c := range posted(cs, "chat.update") {
			if c.TS == card.TS {
				return true
			}
		}
		return false
	})
	if !ok {
		t.Fatalf("card %s not edited: %+v", card.TS, calls)
	}
}

// A level-4 card has only Reject, and says what to type.
func TestDangerCard(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket})
	r.link(t, "UALICE", kerneltest.Alice)
	seq := len(r.fake.Calls())
	r.say(t, slacktest.Message{User: "UALICE", Channel: "COPS", Mention: true, Text: `hosting.delete_server {"server":"staging-1"}`})
	card := cardIn(t, r.fake.Since(seq))
	b := card.Buttons()
	shown := slacktest.Unescape(card.Shown())
	if len(b) != 1 || b[0].Label != "Reject" || !strings.Contains(shown, "level 4") || !strings.Contains(shown, "<exact name of the target>") || !strings.Contains(card.Shown(), "&lt;exact name of the target&gt;") {
		t.Fatalf("level-4 card: %q %+v", shown, b)
	}
	if !strings.Contains(shown, "mention me first: <@UBOT> confirm p_") {
		t.Fatalf("no channel hint: %q", shown)
	}
}

// A 429 delays a message and never drops it: the library's
// RateLimitedError goes through chatkit.Retry.
func TestRateLimited(t *testing.T) {
	for _, method := range []string{"chat.postMessage", "chat.update", "conversations.open"} {
		t.Run(method, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{})
			r := newRig(t, e, rigOptions{mode: ModeEvents})
			r.link(t, "UALICE", kerneltest.Alice)
			r.fake.RateLimit(method, 1, time.Second)
			seq := len(r.fake.Calls())
			switch method {
			case "chat.postMessage":
				r.say(t, slacktest.Message{User: "UALICE", Channel: "DUALICE", Text: "hosting.list_servers {}"})
				if got := r.fake.Since(seq); len(got) != 1 || !strings.Contains(got[0].Text, "web-1") {
					t.Fatalf("reply lost: %+v", got)
				}
			case "chat.update":
				r.say(t, slacktest.Message{User: "UALICE", Channel: "DUALICE", Text: `hosting.restart_server {"server":"web-1"}`})
				card := cardIn(t, r.fake.Since(seq))
				r.press(t, pressOn(card, "UALICE", button(t, card, false), ""))
				if m, _ := r.fake.MessageAt(card.Channel, card.TS); len(m.Buttons()) != 0 {
					t.Fatal("edit lost")
				}
			case "conversations.open":
				err := r.a.Deliver(context.Background(), session.Address{Channel: "slack", Account: "UALICE"}, session.Outbound{Parts: []session.Part{&session.Text{Text: "hello <you> & all"}}})
				got := r.fake.Since(seq)
				if err != nil || len(got) != 1 || got[0].Channel != slacktest.DMChannel("UALICE") || got[0].Text != "hello &lt;you&gt; &amp; all" {
					t.Fatalf("direct delivery: %v %+v", err, got)
				}
			}
			if r.fake.Limited(method) != 1 {
				t.Fatalf("%s was not rate limited", method)
			}
		})
	}
}

// Over HTTP a request is answered without waiting for a slow turn, whose
// reply is posted when it is ready.
func TestSlowTurnAnsweredFirst(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: time.Minute}})
	release := e.LoadSlow(t)
	r := newRig(t, e, rigOptions{mode: ModeEvents, ackWait: 50 * time.Millisecond})
	r.link(t, "UALICE", kerneltest.Alice)
	seq := len(r.fake.Calls())
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	id, res, err := r.fake.Message(ctx, slacktest.Message{User: "UALICE", Channel: "DUALICE", Text: `slowtest.work {"label":"y"}`})
	if err != nil || res.Status != 200 {
		t.Fatalf("answer: %v %+v", err, res)
	}
	if r.count(id) != 0 || len(r.fake.Since(seq)) != 0 {
		t.Fatal("the turn ended before the work was released")
	}
	close(release)
	r.waitHandled(t, id, 1)
	if got := r.fake.Since(seq); len(got) != 1 || !strings.Contains(got[0].Text, "Work y done.") {
		t.Fatalf("late reply: %+v", got)
	}
}

// An envelope the library cannot read is acknowledged (so Slack does not
// resend it) and audited; the socket keeps working.
func TestSocketUnreadableEnvelope(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket})
	frame := []byte(`{"type":"events_api","envelope_id":"env-bad","payload":{"type":"event_callback","event_id":"EvBad","event":{"type":"message","text":5}}}`)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := r.fake.SendRaw(ctx, frame); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(waitLong)
	for !r.fake.Acked("env-bad") || refusals(t, e, session.CodeBadRequest) == 0 {
		if time.Now().After(deadline) {
			t.Fatal("unreadable envelope not acknowledged and audited")
		}
		time.Sleep(10 * time.Millisecond)
	}
	r.link(t, "UALICE", kerneltest.Alice)
}

// When Slack asks the socket to disconnect, the client reconnects and
// events keep arriving.
func TestSocketReconnects(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket})
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	if err := r.fake.SendRaw(ctx, []byte(`{"type":"disconnect","reason":"refresh_requested","debug_info":{"host":"fake"}}`)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.fake.Wait(0, waitLong, func([]slacktest.Call) bool { return r.fake.Connections() >= 2 && r.fake.Connected() }); !ok {
		t.Fatalf("not reconnected: %d connections", r.fake.Connections())
	}
	r.link(t, "UALICE", kerneltest.Alice)
}

// A link code asked for in a channel is shown only to the asker: whoever
// sends it first links their account.
func TestLinkCodePrivateInChannel(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeEvents})
	r.link(t, "UALICE", kerneltest.Alice)
	seq := len(r.fake.Calls())
	r.say(t, slacktest.Message{User: "UALICE", Channel: "COPS", Mention: true, Text: "link my account"})
	got := r.fake.Since(seq)
	if len(got) != 1 || got[0].Method != "chat.postEphemeral" || got[0].User != "UALICE" || !strings.Contains(got[0].Text, "Your link code is") {
		t.Fatalf("link code shown to the channel: %+v", got)
	}
}

// Nothing accepted is lost: over Socket Mode an envelope is acknowledged
// only once its turn has ended (within ackWait), so a process that dies
// first leaves it for Slack to send again.
func TestSocketAckAfterTurn(t *testing.T) {
	e := kerneltest.New(t, kerneltest.Options{})
	r := newRig(t, e, rigOptions{mode: ModeSocket, ackWait: time.Minute})
	r.link(t, "U1", kerneltest.Alice)
	ctx, cancel := context.WithTimeout(context.Background(), waitLong)
	defer cancel()
	id, _, err := r.fake.Message(ctx, slacktest.Message{User: "U1", Channel: slacktest.DMChannel("U1"), Text: `hosting.list_servers {}`})
	if err != nil {
		t.Fatal(err)
	}
	if r.count(id) != 1 {
		t.Fatal("acknowledged before the turn ended")
	}
}
