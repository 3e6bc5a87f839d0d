package kernel_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/internal/offline"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// The harness of the conversation sets (docs/conversation.md): each
// conversation runs on a fresh demo kernel with the offline router, turn
// by turn, and every turn is judged by what it did — the tools it ran,
// the proposals it made, the proposals it settled — and by its reply.

type kv map[string]any

// expect is what one turn must do.
type expect int

const (
	expAct     expect = iota // run (level 0–1) or propose the tool with the args
	expAsk                   // a question: nothing runs, nothing is proposed or settled
	expConfirm               // a pending proposal of the tool is accepted and runs
	expReject                // a pending proposal is rejected
	expReply                 // a reply (text checks); no change runs, nothing proposed or settled
	expNone                  // out of scope: nothing runs at all, nothing proposed
)

type convTurn struct {
	as      *session.Actor    // nil: the conversation's actor
	channel session.ChannelID // "": "api"
	say     string
	want    expect
	tool    string
	args    kv
	has     []string // the reply contains each (case-insensitive)
	hasNot  []string // the reply contains none
}

type conversation struct {
	name  string
	as    session.Actor
	turns []convTurn
}

func act(say, tool string, args kv) convTurn {
	return convTurn{say: say, want: expAct, tool: tool, args: args}
}
func ask(say string, has ...string) convTurn { return convTurn{say: say, want: expAsk, has: has} }
func confirmT(say, tool string) convTurn     { return convTurn{say: say, want: expConfirm, tool: tool} }
func rejectT(say string) convTurn            { return convTurn{say: say, want: expReject} }
func reply(say string, has ...string) convTurn {
	return convTurn{say: say, want: expReply, has: has}
}
func none(say string) convTurn { return convTurn{say: say, want: expNone} }

func (c convTurn) on(ch session.ChannelID) convTurn { c.channel = ch; return c }
func (c convTurn) by(a session.Actor) convTurn      { c.as = &a; return c }
func (c convTurn) not(s ...string) convTurn         { c.hasNot = append(c.hasNot, s...); return c }
func (c convTurn) says(s ...string) convTurn        { c.has = append(c.has, s...); return c }

// did is what a turn did.
type did struct {
	ran       []call // dispatches, with their levels
	proposed  []call
	confirmed int
	rejected  int
	text      string
}

type call struct {
	tool  string
	level int
	args  map[string]any
}

func observe(t testing.TB, e *kt.Env, out session.Outbound, tenant session.TenantID) did {
	var d did
	d.text = kt.TextOf(out)
	for _, p := range out.Parts {
		if c, ok := p.(*session.ProposalCard); ok {
			var args map[string]any
			_ = json.Unmarshal(c.Args, &args)
			d.proposed = append(d.proposed, call{tool: string(c.Tool), level: c.SafetyLevel, args: args})
		}
	}
	for _, r := range e.Audit(t, tenant) {
		if r.Turn != string(out.Turn) {
			continue
		}
		switch r.Kind {
		case "dispatch":
			var x struct {
				Step  string         `json:"step"`
				Tool  string         `json:"tool"`
				Level int            `json:"level"`
				Args  map[string]any `json:"args"`
			}
			_ = json.Unmarshal([]byte(r.Data), &x)
			if strings.HasSuffix(x.Step, ".backup") {
				continue // the backup a confirmed change takes first is part of it
			}
			d.ran = append(d.ran, call{tool: x.Tool, level: x.Level, args: x.Args})
		case "confirmed":
			d.confirmed++
		case "rejected":
			d.rejected++
		}
	}
	return d
}

func (c call) matches(tool string, args kv) bool {
	if c.tool != tool {
		return false
	}
	for k, want := range args {
		got, ok := c.args[k]
		if !ok {
			return false
		}
		if gs, ok := got.(string); ok {
			if ws, ok := want.(string); ok && strings.EqualFold(strings.TrimSpace(gs), ws) {
				continue
			}
		}
		if f, ok := got.(float64); ok {
			got = int(f)
		}
		if !reflect.DeepEqual(got, want) {
			return false
		}
	}
	return true
}

// judge says why a turn is wrong ("" when right) and counts the changes
// it made that nobody asked for (level ≥ 1 dispatches not expected).
func (c convTurn) judge(d did) (why string, wrongExec int) {
	for _, r := range d.ran {
		if r.level >= 1 && !((c.want == expAct || c.want == expConfirm) && r.matches(c.tool, c.args)) {
			wrongExec++
		}
	}
	low := strings.ToLower(d.text)
	for _, s := range c.has {
		if !strings.Contains(low, strings.ToLower(s)) {
			return fmt.Sprintf("reply lacks %q: %q", s, d.text), wrongExec
		}
	}
	for _, s := range c.hasNot {
		if strings.Contains(low, strings.ToLower(s)) {
			return fmt.Sprintf("reply has %q: %q", s, d.text), wrongExec
		}
	}
	quiet := len(d.proposed) == 0 && d.confirmed == 0 && d.rejected == 0
	switch c.want {
	case expAct:
		for _, x := range append(append([]call{}, d.ran...), d.proposed...) {
			if x.matches(c.tool, c.args) {
				return "", wrongExec
			}
		}
		return fmt.Sprintf("want %s %v; ran %v proposed %v: %q", c.tool, c.args, d.ran, d.proposed, d.text), wrongExec
	case expAsk:
		if !quiet || len(d.ran) > 0 || !strings.Contains(d.text, "?") {
			return fmt.Sprintf("want a question; ran %v proposed %v: %q", d.ran, d.proposed, d.text), wrongExec
		}
	case expConfirm:
		if d.confirmed != 1 {
			return fmt.Sprintf("want one confirmation of %s; got %d: %q", c.tool, d.confirmed, d.text), wrongExec
		}
		for _, x := range d.ran {
			if x.tool == c.tool {
				return "", wrongExec
			}
		}
		return fmt.Sprintf("confirmed but %s did not run (ran %v)", c.tool, d.ran), wrongExec
	case expReject:
		if d.rejected != 1 || d.confirmed > 0 || len(d.ran) > 0 {
			return fmt.Sprintf("want one rejection; rejected %d confirmed %d ran %v: %q", d.rejected, d.confirmed, d.ran, d.text), wrongExec
		}
	case expReply:
		if !quiet || wrongExec > 0 {
			return fmt.Sprintf("want a reply only; ran %v proposed %v confirmed %d: %q", d.ran, d.proposed, d.confirmed, d.text), wrongExec
		}
		if strings.Contains(low, "can't help with that") {
			return fmt.Sprintf("answered with the help refusal: %q", d.text), wrongExec
		}
	case expNone:
		if !quiet || len(d.ran) > 0 {
			return fmt.Sprintf("force-fit: ran %v proposed %v: %q", d.ran, d.proposed, d.text), wrongExec
		}
	}
	return "", wrongExec
}

// convMeasure is what a set of conversations scored.
type convMeasure struct {
	convs, convOK  int
	turns, turnsOK int
	wrongExec      int
	forceFits      int
}

func scoreConversations(t *testing.T, name string, set []conversation) convMeasure {
	t.Helper()
	var m convMeasure
	for _, cv := range set {
		rt := offline.New(offline.Options{})
		e := kt.New(t, kt.Options{Router: rt, Planner: rt})
		m.convs++
		ok := true
		for i, tr := range cv.turns {
			a := cv.as
			if tr.as != nil {
				a = *tr.as
			}
			ch := tr.channel
			if ch == "" {
				ch = "api"
			}
			out, err := e.K.Handle(context.Background(), a, session.Inbound{From: session.Address{Channel: ch}, Text: tr.say, At: e.Clock.Now()})
			if err != nil {
				t.Fatalf("%s: handle %q: %v", cv.name, tr.say, err)
			}
			why, wrong := tr.judge(observe(t, e, out, a.Tenant))
			m.turns++
			m.wrongExec += wrong
			if wrong > 0 {
				t.Logf("%s WRONG EXECUTION %s turn %d %q", name, cv.name, i+1, tr.say)
			}
			if tr.want == expNone && why != "" {
				m.forceFits++
			}
			if why != "" {
				ok = false
				t.Logf("%s MISS %s turn %d %q: %s", name, cv.name, i+1, tr.say, why)
				continue
			}
			m.turnsOK++
			e.Clock.Advance(30e9)
		}
		if ok {
			m.convOK++
		}
	}
	t.Logf("%s: %d/%d conversations (%.1f%%), %d/%d turns, %d wrong executions, %d force-fits",
		name, m.convOK, m.convs, 100*float64(m.convOK)/float64(m.convs), m.turnsOK, m.turns, m.wrongExec, m.forceFits)
	return m
}

// converse runs conversations on fresh offline kernels and fails on any
// turn that is wrong (the per-item tests of issue 14).
func converse(t *testing.T, set ...conversation) {
	t.Helper()
	m := scoreConversations(t, t.Name(), set)
	if m.convOK != m.convs || m.wrongExec > 0 {
		t.Fatalf("%d of %d conversations right, %d wrong executions (see the log)", m.convOK, m.convs, m.wrongExec)
	}
}
