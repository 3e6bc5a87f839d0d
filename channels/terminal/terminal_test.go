package terminal_test

import (
	"bytes"
	"context"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/terminal"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

var (
	reCard    = regexp.MustCompile(`^⚠ Needs your confirmation — level (\d)`)
	reConfirm = regexp.MustCompile(`To confirm, type: confirm (p_[a-z2-7]+)( <exact name of the target>)?`)
)

// parse reads the terminal's printed form back into an observation: the
// only place the suite sees the channel is what a person would read.
func parse(out string) channeltest.Observation {
	var o channeltest.Observation
	var card *channeltest.Card
	var rest []string // everything but cards, for channeltest.ReadText
	for _, line := range strings.Split(out, "\n") {
		switch {
		case strings.TrimSpace(line) == "":
			rest = append(rest, "")
		case reCard.MatchString(line):
			rest = append(rest, "") // a card ends the text before it
			lvl, _ := strconv.Atoi(reCard.FindStringSubmatch(line)[1])
			card = &channeltest.Card{Level: lvl}
		case card != nil && strings.HasPrefix(line, "  "):
			if m := reConfirm.FindStringSubmatch(line); m != nil {
				card.ID, card.NeedsPhrase = m[1], m[2] != ""
				o.Cards = append(o.Cards, *card)
			}
		default:
			card = nil
			rest = append(rest, line)
		}
	}
	channeltest.ReadText(&o, strings.Join(rest, "\n"))
	return o
}

type termDriver struct {
	term  *terminal.Terminal
	out   *bytes.Buffer
	env   *kerneltest.Env
	after int64
}

func (d *termDriver) Capabilities() channels.Capabilities { return d.term.Capabilities() }

func (d *termDriver) line(id, text string) channeltest.Observation {
	d.out.Reset()
	d.term.Line(context.Background(), id, text)
	return parse(d.out.String())
}

func (d *termDriver) Say(t testing.TB, id, text string) channeltest.Observation {
	return d.line(id, text)
}

// Decide types the instruction the card printed (no buttons here).
func (d *termDriver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	if !accept {
		return d.line(id, "reject "+c.ID)
	}
	return d.line(id, strings.TrimSpace("confirm "+c.ID+" "+phrase))
}

func (d *termDriver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	d.out.Reset()
	next, err := d.term.Deliver(context.Background(), d.env.K.Deliveries(), d.after, wait)
	if err != nil {
		t.Fatal(err)
	}
	d.after = next
	return parse(d.out.String())
}

// CHAN-03 CHAN-04: the terminal passes the shared adapter suite.
func TestChannelSuite(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		out := &bytes.Buffer{}
		return &termDriver{term: &terminal.Terminal{Turns: e.K, Actor: a, Out: out, Now: e.Clock.Now}, out: out, env: e}
	})
}
