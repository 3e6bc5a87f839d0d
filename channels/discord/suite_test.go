package discord

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// driver is the channeltest driver: messages over the fake gateway in the
// user's DM, presses as signed HTTP interactions, deliveries read from the
// DM channel.
type driver struct {
	h     *harness
	user  discordtest.User
	after int // last record seen by Deliveries
}

func (d *driver) Capabilities() channels.Capabilities { return d.h.a.Capabilities() }

func (d *driver) Say(t testing.TB, id, text string) channeltest.Observation {
	return d.h.say(t, discordtest.In{ID: id, Author: d.user, Content: text})
}

// Decide presses the card's button, or types the instruction when a
// phrase is needed (a button cannot carry it).
func (d *driver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	if phrase != "" || (accept && c.NeedsPhrase) {
		return d.Say(t, id, strings.TrimSpace("confirm "+c.ID+" "+phrase))
	}
	msg := d.h.card(t, c.ID)
	o, _ := d.h.press(t, discordtest.Press{ID: id, MessageID: msg.MessageID, CustomID: chatkit.ButtonData(session.ProposalID(c.ID), accept), User: d.user}, false)
	return o
}

// Deliveries are the messages in the DM that answer nothing (bridge.Pump).
func (d *driver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	chat := d.h.fake.DMChannel(d.user.ID)
	deadline := time.Now().Add(wait)
	for {
		var got []discordtest.Record
		for _, r := range d.h.fake.Records() {
			if r.Seq > d.after && r.Kind == "create" && r.ChannelID == chat && r.Reference == "" {
				got = append(got, r)
				d.after = r.Seq
			}
		}
		if len(got) > 0 || time.Now().After(deadline) {
			d.h.remember(got)
			return parse(got)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// CHAN-03 CHAN-04: Discord passes the shared adapter suite, through the
// real discordgo client against the fake Discord.
func TestChannelSuite(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		h := start(t, e, setup{})
		h.link(t, alice, a)
		return &driver{h: h, user: alice, after: h.mark()}
	})
}
