package voice

import (
	"context"
	"fmt"

	"github.com/steward-os/steward/session"
)

// digit acts on a keypad press. 1 confirms and 2 cancels a card at any
// point, even mid read-back (VOI-03); level 4 cannot be confirmed by
// keypad (it needs the spelled name).
func (c *Call) digit(ctx context.Context, d string) {
	if c.phase == phaseBye {
		return
	}
	if !c.prompt.played && c.prompt.mark != "" {
		c.prompt.interrupted = true
		_ = c.line.Clear(ctx)
	}
	switch {
	case c.phase == phaseAck && (d == "1" || d == "2"):
		c.ackAnswer(ctx, d == "1", d == "2")
	case c.card != nil && d == "1":
		if c.card.DangerPhraseRequired {
			c.reprompt(ctx, "This one cannot be confirmed with the keypad: it needs the name spelled aloud.")
			return
		}
		c.decide(ctx, true, "")
	case c.card != nil && d == "2":
		c.decide(ctx, false, "")
	case c.phase == phaseCooling && d == "9" && c.cfg.CallBack != nil:
		if err := c.cfg.CallBack(ctx, c.st.Actor, c.card.ID); err != nil {
			c.say(ctx, "I could not arrange the call back: "+Spoken(err.Error())+". Stay on the line.", false)
			return
		}
		c.hangup(ctx, "I will call you back when it can be confirmed. Goodbye.")
	case d == "*":
		c.say(ctx, c.prompt.text, c.prompt.readBack)
	case d == "#":
		c.hangup(ctx, "Goodbye.")
	case c.phase == phaseMenu:
		c.menuKey(ctx, d)
	}
}

func (c *Call) menuKey(ctx context.Context, d string) {
	for _, m := range c.cfg.Menu {
		if m.Key == d {
			c.request(ctx, m.Text)
			return
		}
	}
	c.reprompt(ctx, "That key does nothing here.")
}

// turn hands one inbound to the kernel as this call's actor.
func (c *Call) turn(ctx context.Context, in session.Inbound) session.Outbound {
	c.seq++
	in.ID = fmt.Sprintf("%s:%d", c.st.ID, c.seq)
	in.From = c.st.From
	in.At = c.cfg.Now()
	out, err := c.core.Turns.Handle(ctx, c.st.Actor, in)
	if err != nil {
		out.Parts = append(out.Parts, session.ErrorPart(err))
	}
	return out
}

// request sends a request (words heard by an open recognizer, or a menu
// choice) as a turn and says its answer.
func (c *Call) request(ctx context.Context, text string) {
	if text == "" {
		c.reprompt(ctx, "Sorry, I didn't get that.")
		return
	}
	c.answer(ctx, c.turn(ctx, session.Inbound{Text: text}), "")
}

// decide sends the decision on the card as a turn: the kernel checks it
// (actor, expiry, cooling, phrase, hash) and carries it out.
func (c *Call) decide(ctx context.Context, accept bool, phrase string) {
	kind := session.ActionReject
	if accept {
		kind = session.ActionAccept
	}
	out := c.turn(ctx, session.Inbound{Action: &session.Action{Kind: kind, Proposal: c.card.ID, Phrase: phrase}})
	lead := ""
	if !accept {
		lead = "Cancelled. "
	}
	c.answer(ctx, out, lead)
}

// answer says a turn's answer, then the next question: a new card (the
// next step of a plan), or the menu; an outbound call says goodbye.
func (c *Call) answer(ctx context.Context, out session.Outbound, lead string) {
	text, card := SayParts(out.Parts)
	if text != "" {
		lead += text + " "
	}
	if card != nil {
		c.readCard(ctx, card, lead)
		return
	}
	if c.st.Notice != nil {
		c.hangup(ctx, lead+"Goodbye.")
		return
	}
	c.menu(ctx, lead+"Anything else? ")
}

// watch notices a card decided elsewhere (a chat channel) or expired
// while the call reads it.
func (c *Call) watch(ctx context.Context) {
	c.ticks++
	if c.ticks%8 != 0 { // about every two seconds
		return
	}
	p, err := c.core.Turns.Proposal(ctx, c.st.Actor, c.card.ID)
	if err != nil || p.State == session.ProposalPending || p.State == session.ProposalExecuting {
		return
	}
	_ = c.line.Clear(ctx)
	if c.st.Notice != nil {
		c.hangup(ctx, Outcome(p)+" Goodbye.")
		return
	}
	c.menu(ctx, Outcome(p)+" ")
}
