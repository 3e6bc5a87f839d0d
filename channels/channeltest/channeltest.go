// Package channeltest is the shared suite every channel adapter passes
// (CHAN-03, CHAN-04): the same requests, through each channel's own form —
// buttons where it has them, typed instructions where it does not — must
// meet the same gate and produce the same outcomes.
//
// Contract. An adapter's test implements Driver for its channel, and calls
// Run. Run builds a real kernel (SQLite store, demo world, the scripted
// router of kerneltest and a slow test extension) and runs each scenario
// on a fresh one: a text round trip, a proposal accepted, a proposal
// rejected, a level-4 danger phrase with its cooling period, an expired
// proposal, an error reply, a repeated inbound event (dedupe), the
// progress and result of a background task, and the approval scenarios
// of approvals.go (the channel as the approver's, then the requester's)
// and the conversation scenarios of conversation.go (confirmation words,
// greetings). It is test support only:
// production code never imports it.
package channeltest

import (
	"encoding/json"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Card is a proposal as a channel showed it.
type Card struct {
	ID          string
	Level       int
	NeedsPhrase bool
}

// Observation is what a channel showed the user, normalised.
type Observation struct {
	Texts    []string
	Cards    []Card
	Errors   []string // stable codes
	Progress []string // "task-id state"
}

// Text joins the texts.
func (o Observation) Text() string { return strings.Join(o.Texts, "\n") }

// Driver drives one channel as a user would.
type Driver interface {
	Capabilities() channels.Capabilities
	// Say sends text; id is the platform's event id (the dedupe key).
	Say(t testing.TB, id, text string) Observation
	// Decide accepts or rejects a proposal in the channel's own form.
	Decide(t testing.TB, id string, c Card, accept bool, phrase string) Observation
	// Deliveries is what the channel showed outside a turn since the last
	// call, waiting up to wait for something to arrive.
	Deliveries(t testing.TB, wait time.Duration) Observation
}

// Opener builds a driver for an actor over a running test kernel.
type Opener func(t *testing.T, e *kerneltest.Env, a session.Actor) Driver

// Run runs every scenario against the channel.
func Run(t *testing.T, open Opener) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *kerneltest.Env, d Driver, release chan struct{})
	}{
		{"text round trip", textRoundTrip},
		{"proposal accepted", proposalAccepted},
		{"proposal rejected", proposalRejected},
		{"level-4 danger phrase", dangerPhrase},
		{"expired proposal", expiredProposal},
		{"error reply", errorReply},
		{"repeated inbound event", dedupe},
		{"background task progress", progress},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 100 * time.Millisecond}})
			release := e.LoadSlow(t)
			s.run(t, e, open(t, e, kerneltest.Alice), release)
		})
	}
	runApprovals(t, open)    // approvals.go
	runConversation(t, open) // conversation.go
}

func one(t testing.TB, o Observation) Card {
	t.Helper()
	if len(o.Cards) != 1 {
		t.Fatalf("want one proposal, got %+v", o)
	}
	return o.Cards[0]
}

func noErrors(t testing.TB, o Observation) {
	t.Helper()
	if len(o.Errors) > 0 {
		t.Fatalf("errors %v in %+v", o.Errors, o)
	}
}

func hasError(t testing.TB, o Observation, code string) {
	t.Helper()
	for _, e := range o.Errors {
		if e == code {
			return
		}
	}
	t.Fatalf("want error %s, got %+v", code, o)
}

func restarts(t testing.TB, e *kerneltest.Env, server string) float64 {
	t.Helper()
	m := e.Call(t, kerneltest.Alice, "hosting.get_server", `{"server":"`+server+`"}`)
	n, _ := m["restarts"].(float64)
	return n
}

func textRoundTrip(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	o := d.Say(t, "e1", `hosting.list_servers {}`)
	noErrors(t, o)
	if !strings.Contains(o.Text(), "web-1") || !strings.Contains(o.Text(), "staging-1") {
		t.Fatalf("reply %+v", o)
	}
}

func proposalAccepted(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	before := restarts(t, e, "web-1")
	c := one(t, d.Say(t, "e1", `hosting.restart_server {"server":"web-1"}`))
	if c.Level != 2 || c.NeedsPhrase {
		t.Fatalf("card %+v", c)
	}
	if restarts(t, e, "web-1") != before {
		t.Fatal("ran before confirmation")
	}
	o := d.Decide(t, "e2", c, true, "")
	noErrors(t, o)
	if !strings.Contains(o.Text(), "restarted") || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("accept: %+v", o)
	}
	// A second press executes nothing and says so.
	hasError(t, d.Decide(t, "e3", c, true, ""), session.CodeAlreadyExecuted)
	if restarts(t, e, "web-1") != before+1 {
		t.Fatal("ran twice")
	}
}

func proposalRejected(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	before := restarts(t, e, "web-2")
	c := one(t, d.Say(t, "e1", `hosting.restart_server {"server":"web-2"}`))
	o := d.Decide(t, "e2", c, false, "")
	noErrors(t, o)
	if !strings.Contains(o.Text(), "nothing was changed") || restarts(t, e, "web-2") != before {
		t.Fatalf("reject: %+v", o)
	}
}

func dangerPhrase(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	c := one(t, d.Say(t, "e1", `hosting.delete_server {"server":"staging-1"}`))
	if c.Level != 4 || !c.NeedsPhrase {
		t.Fatalf("card %+v", c)
	}
	hasError(t, d.Decide(t, "e2", c, true, "staging-1"), session.CodeCoolingPeriod)
	e.Clock.Advance(31 * time.Second)
	hasError(t, d.Decide(t, "e3", c, true, "staging-2"), session.CodeWrongDangerPhrase)
	o := d.Decide(t, "e4", c, true, "staging-1")
	noErrors(t, o)
	if !strings.Contains(o.Text(), "deleted") {
		t.Fatalf("delete: %+v", o)
	}
}

func expiredProposal(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	c := one(t, d.Say(t, "e1", `hosting.resize_server {"server":"web-1","size":"xl"}`))
	e.Clock.Advance(11 * time.Minute)
	hasError(t, d.Decide(t, "e2", c, true, ""), session.CodeProposalExpired)
}

func errorReply(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	hasError(t, d.Say(t, "e1", `hosting.get_server {"server":"web-9"}`), session.CodeNotFound)
	hasError(t, d.Say(t, "e2", `hosting.resize_server {"server":"web-1","size":"huge"}`), session.CodeInvalidArguments)
}

func dedupe(t *testing.T, e *kerneltest.Env, d Driver, _ chan struct{}) {
	c := one(t, d.Say(t, "e1", `hosting.restart_server {"server":"db-1"}`))
	before := restarts(t, e, "db-1")
	first := d.Decide(t, "e2", c, true, "")
	again := d.Decide(t, "e2", c, true, "") // the platform redelivers the same event
	noErrors(t, first)
	if restarts(t, e, "db-1") != before+1 {
		t.Fatal("a redelivered confirmation ran twice")
	}
	if strings.Join(first.Texts, "|") != strings.Join(again.Texts, "|") {
		t.Fatalf("redelivery answered differently: %+v vs %+v", first, again)
	}
	// A redelivered request makes no second proposal.
	c2 := one(t, d.Say(t, "e1", `hosting.restart_server {"server":"db-1"}`))
	if c2.ID != c.ID {
		t.Fatalf("redelivered request proposed again: %s vs %s", c2.ID, c.ID)
	}
}

func progress(t *testing.T, e *kerneltest.Env, d Driver, release chan struct{}) {
	o := d.Say(t, "e1", `slowtest.work {"label":"x"}`)
	if len(o.Progress) != 1 || !strings.HasSuffix(o.Progress[0], "running") {
		t.Fatalf("not reported as a running task: %+v", o)
	}
	close(release)
	deadline := time.Now().Add(10 * time.Second)
	var seen Observation
	for time.Now().Before(deadline) {
		got := d.Deliveries(t, time.Second)
		seen.Texts = append(seen.Texts, got.Texts...)
		seen.Progress = append(seen.Progress, got.Progress...)
		if strings.Contains(seen.Text(), "Work x done.") {
			break
		}
	}
	if !strings.Contains(seen.Text(), "Work x done.") || len(seen.Progress) == 0 || !strings.HasSuffix(seen.Progress[len(seen.Progress)-1], "succeeded") {
		t.Fatalf("delivery: %+v", seen)
	}
}

// FromOutbound normalises parts (for channels that speak JSON).
func FromOutbound(parts []session.Part) Observation {
	var o Observation
	for _, p := range parts {
		switch x := p.(type) {
		case *session.Text:
			o.Texts = append(o.Texts, x.Text)
		case *session.Error:
			o.Errors = append(o.Errors, x.Code)
		case *session.ProposalCard:
			o.Cards = append(o.Cards, Card{ID: string(x.ID), Level: x.SafetyLevel, NeedsPhrase: x.DangerPhraseRequired})
		case *session.Progress:
			o.Progress = append(o.Progress, string(x.Task)+" "+x.State)
		}
	}
	return o
}

// FromReplies normalises a JSON array of parts.
func FromReplies(raw []json.RawMessage) Observation {
	var parts []session.Part
	for _, r := range raw {
		if p, err := session.UnmarshalPart(r); err == nil {
			parts = append(parts, p)
		}
	}
	return FromOutbound(parts)
}

var (
	reCardHead = regexp.MustCompile(`⚠ Needs your confirmation — level (\d)`)
	rePhrase   = regexp.MustCompile(`To confirm, type: confirm (p_[a-z2-7]+) <exact name of the target>`)
	reError    = regexp.MustCompile(`^✗ .*\[([a-z_]+)\]$`)
	reProgress = regexp.MustCompile(`^… task (task_[a-z2-7]+) \([^)]*\): ([a-z_]+),`)
)

// ReadText adds to o what a person reads in a channel's printed form of
// parts other than cards (channels.PlainText): texts, split at blank
// lines; errors ("✗ … [code]"); and task progress ("… task <id> (<tool>):
// <state>, …"). Drivers of channels that print use it, so the suite sees
// only what a person would read.
func ReadText(o *Observation, text string) {
	var buf []string
	flush := func() {
		if len(buf) > 0 {
			o.Texts = append(o.Texts, strings.Join(buf, "\n"))
			buf = nil
		}
	}
	for _, line := range strings.Split(text, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			flush()
		case reError.MatchString(line):
			flush()
			o.Errors = append(o.Errors, reError.FindStringSubmatch(line)[1])
		case reProgress.MatchString(line):
			flush()
			m := reProgress.FindStringSubmatch(line)
			o.Progress = append(o.Progress, m[1]+" "+m[2])
		default:
			buf = append(buf, line)
		}
	}
	flush()
}

// ReadCardText reads a proposal card's printed text: its level (from the
// header) and whether it tells the person to type a danger phrase. ok is
// false when the text is not a card.
func ReadCardText(text string) (level int, needsPhrase bool, ok bool) {
	m := reCardHead.FindStringSubmatch(text)
	if m == nil {
		return 0, false, false
	}
	level, _ = strconv.Atoi(m[1])
	return level, rePhrase.MatchString(text), true
}
