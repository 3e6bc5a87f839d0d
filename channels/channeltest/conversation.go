package channeltest

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/kernel"
	"github.com/steward-os/steward/kernel/kerneltest"
)

// The conversation scenarios (DIA-03, issue 14 items 4 and 10) every
// adapter passes: confirmation words typed as plain text decide the one
// pending proposal of the actor, on every channel (not only the
// terminal); with several pending the kernel asks which; a level-4
// proposal still needs its phrase; greetings and thanks are answered,
// never with the "can't help" refusal, and never confirm anything.
func runConversation(t *testing.T, open Opener) {
	scenarios := []struct {
		name string
		run  func(t *testing.T, e *kerneltest.Env, d Driver)
	}{
		{"yes confirms the one pending proposal", yesConfirms},
		{"go ahead, reject that, cancel", otherWords},
		{"several pending: which one", severalPending},
		{"level 4 still needs the phrase", level4Phrase},
		{"greetings and thanks", greetings},
	}
	for _, s := range scenarios {
		t.Run(s.name, func(t *testing.T) {
			e := kerneltest.New(t, kerneltest.Options{Config: kernel.Config{InlineBudget: 100 * time.Millisecond}})
			s.run(t, e, open(t, e, kerneltest.Alice))
		})
	}
}

func yesConfirms(t *testing.T, e *kerneltest.Env, d Driver) {
	before := restarts(t, e, "web-1")
	one(t, d.Say(t, "c1", `hosting.restart_server {"server":"web-1"}`))
	o := d.Say(t, "c2", "yes")
	noErrors(t, o)
	if !strings.Contains(o.Text(), "restarted") || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("yes: %+v", o)
	}
	// Nothing is pending any more: a second "yes" runs nothing.
	o = d.Say(t, "c3", "yes please")
	if !strings.Contains(o.Text(), "nothing waiting") || restarts(t, e, "web-1") != before+1 {
		t.Fatalf("second yes: %+v", o)
	}
}

func otherWords(t *testing.T, e *kerneltest.Env, d Driver) {
	before := restarts(t, e, "web-2")
	one(t, d.Say(t, "c1", `hosting.restart_server {"server":"web-2"}`))
	if o := d.Say(t, "c2", "go ahead"); !strings.Contains(o.Text(), "restarted") || restarts(t, e, "web-2") != before+1 {
		t.Fatalf("go ahead: %+v", o)
	}
	for i, word := range []string{"reject that", "cancel", "no"} {
		one(t, d.Say(t, "r"+string(rune('a'+i)), `hosting.restart_server {"server":"web-2"}`))
		o := d.Say(t, "w"+string(rune('a'+i)), word)
		noErrors(t, o)
		if !strings.Contains(o.Text(), "nothing was changed") || restarts(t, e, "web-2") != before+1 {
			t.Fatalf("%q: %+v", word, o)
		}
	}
}

func severalPending(t *testing.T, e *kerneltest.Env, d Driver) {
	before := restarts(t, e, "web-1")
	one(t, d.Say(t, "c1", `hosting.restart_server {"server":"web-1"}`))
	one(t, d.Say(t, "c2", `hosting.resize_server {"server":"web-2","size":"l"}`))
	o := d.Say(t, "c3", "yes")
	if !strings.Contains(o.Text(), "Which one?") || len(o.Cards) != 0 || restarts(t, e, "web-1") != before {
		t.Fatalf("several pending: %+v", o)
	}
}

func level4Phrase(t *testing.T, e *kerneltest.Env, d Driver) {
	c := one(t, d.Say(t, "c1", `hosting.delete_server {"server":"staging-1"}`))
	e.Clock.Advance(31 * time.Second)
	o := d.Say(t, "c2", "yes")
	if !strings.Contains(o.Text(), "confirmation phrase") || strings.Contains(o.Text(), "deleted") {
		t.Fatalf("level 4 yes: %+v", o)
	}
	if o := d.Decide(t, "c3", c, true, "staging-1"); !strings.Contains(o.Text(), "deleted") {
		t.Fatalf("phrase: %+v", o)
	}
}

func greetings(t *testing.T, e *kerneltest.Env, d Driver) {
	before := restarts(t, e, "db-1")
	one(t, d.Say(t, "c0", `hosting.restart_server {"server":"db-1"}`))
	for i, text := range []string{"hi, what can you do?", "thanks!", "hello", "thank you"} {
		o := d.Say(t, "g"+string(rune('a'+i)), text)
		noErrors(t, o)
		if o.Text() == "" || strings.Contains(o.Text(), "can't help") || len(o.Cards) != 0 {
			t.Fatalf("%q: %+v", text, o)
		}
	}
	if restarts(t, e, "db-1") != before {
		t.Fatal("thanks confirmed a proposal")
	}
}
