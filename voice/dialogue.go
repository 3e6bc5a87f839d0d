package voice

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

// phase is what the call is asking.
type phase int

const (
	phaseMenu    phase = iota // nothing pending: the keypad menu, or an open request
	phaseAck                  // acknowledge the notice?
	phaseConfirm              // yes or no about the card
	phaseCooling              // a level-4 card waits out its cooling period
	phasePhrase               // spell the card's target
	phaseKeypad               // two re-prompts failed: keypad only
	phaseBye                  // saying goodbye
)

// begin greets the caller and asks the first question.
func (c *Call) begin(ctx context.Context) {
	hello := fmt.Sprintf("Hello %s, this is Steward. ", c.st.Actor.ID)
	if n := c.st.Notice; n != nil {
		text := hello + Spoken(n.Text)
		if n.Acknowledge != nil {
			c.phase = phaseAck
			c.say(ctx, text+" To acknowledge, say acknowledge, or press 1. Otherwise, press 2.", false)
			return
		}
		c.say(ctx, text, false)
	}
	for _, id := range append(noticeProposal(c.st.Notice), c.st.Proposals...) {
		if p, err := c.core.Turns.Proposal(ctx, c.st.Actor, id); err == nil && p.State == session.ProposalPending {
			card := p.Card
			c.readCard(ctx, &card, hello)
			return
		}
	}
	c.menu(ctx, hello)
}

func noticeProposal(n *Notice) []session.ProposalID {
	if n == nil || n.Proposal == "" {
		return nil
	}
	return []session.ProposalID{n.Proposal}
}

// menu offers what the caller can do with nothing pending.
func (c *Call) menu(ctx context.Context, lead string) {
	c.phase, c.card, c.tries = phaseMenu, nil, 0
	if c.sp.Open {
		c.say(ctx, lead+"What would you like to do?", false)
		return
	}
	var b strings.Builder
	b.WriteString(lead + "On this line I understand yes and no, and the keypad; requests in your own words need a speech recognizer this server is not configured with. ")
	for _, m := range c.cfg.Menu {
		fmt.Fprintf(&b, "Press %s to %s. ", m.Key, Spoken(m.Say))
	}
	if len(c.cfg.Menu) == 0 {
		b.WriteString("You can make requests in the chat, and I will read you here what waits for your confirmation. ")
	}
	b.WriteString("Press star to hear this again, or pound to hang up.")
	c.say(ctx, b.String(), false)
}

// readCard reads a proposal back and asks for the decision.
func (c *Call) readCard(ctx context.Context, card *session.ProposalCard, lead string) {
	c.card, c.phase, c.tries = card, phaseConfirm, 0
	text := lead + ReadBack(card)
	if card.DangerPhraseRequired {
		if wait := c.coolingLeft(); wait > 0 {
			c.phase = phaseCooling
			c.say(ctx, text+" "+CoolingPrompt(wait, c.cfg.CallBack != nil), true)
			return
		}
		c.phase = phasePhrase
		c.say(ctx, text+" "+SpellPrompt(card), true)
		return
	}
	c.say(ctx, text, true)
}

func (c *Call) coolingLeft() (wait time.Duration) {
	if c.card == nil || c.card.CoolingUntil == nil {
		return 0
	}
	return c.card.CoolingUntil.Sub(c.cfg.Now())
}

// cooled moves a level-4 card on once its cooling period has passed (and
// its read-back was played out).
func (c *Call) cooled(ctx context.Context) {
	if c.coolingLeft() > 0 || !c.prompt.played {
		return
	}
	c.phase, c.tries = phasePhrase, 0
	c.say(ctx, "It can be confirmed now. "+SpellPrompt(c.card), false)
}

// grammar is what the current phase listens for.
func (c *Call) grammar() (Grammar, bool) {
	switch c.phase {
	case phaseConfirm, phaseAck:
		kind := Confirm
		if c.phase == phaseAck {
			kind = Ack
		}
		var id string
		var others []string
		if c.card != nil {
			id = target(c.card)
			for _, r := range append(c.card.Impact.Targets, c.card.Impact.Cascade...) {
				others = append(others, r.ID)
			}
		}
		g := ConfirmGrammar(kind, id, others, c.sp.Lexicon)
		if c.card != nil {
			g.Context = knownWords(Spoken(c.card.Summary), c.sp.Lexicon)
		}
		return g, true
	case phasePhrase:
		g := ConfirmGrammar(Phrase, target(c.card), nil, c.sp.Lexicon)
		return g, true
	case phaseMenu:
		return Grammar{Kind: Open}, c.sp.Open
	}
	return Grammar{}, false
}

// knownWords are the words of text a lexicon knows.
func knownWords(text string, lex Lexicon) []string {
	var out []string
	for _, w := range WordsOf(text) {
		if lex == nil || lex.Knows(w) {
			out = append(out, w)
		}
	}
	return out
}

// utterance hears what the caller said and acts on it.
func (c *Call) utterance(ctx context.Context, a Audio) {
	g, ok := c.grammar()
	if !ok {
		if c.phase == phaseMenu {
			c.reprompt(ctx, "I can't take requests in your own words on this line.")
		}
		return
	}
	tr, err := c.sp.STT.Recognize(ctx, a, g)
	if err != nil {
		c.cfg.Log.Error("call: recognize", "call", c.st.ID, "err", err)
		c.reprompt(ctx, "Sorry, I could not hear that.")
		return
	}
	if g.Kind == Open {
		c.record(Heard{Words: tr.Words})
		c.request(ctx, tr.Text)
		return
	}
	h := Judge(g, tr.Words)
	c.record(h)
	c.cfg.Log.Info("call: heard", "call", c.st.ID, "words", strings.Join(h.Words, " "), "verdict", h.Verdict.String())
	c.act(ctx, h)
}

// act applies a judged utterance to the phase.
func (c *Call) act(ctx context.Context, h Heard) {
	switch c.phase {
	case phaseAck:
		c.ackAnswer(ctx, h.Verdict == Acknowledge || h.Verdict == Yes, h.Verdict == No)
	case phaseConfirm, phaseKeypad:
		c.confirmAnswer(ctx, h)
	case phasePhrase:
		c.phraseAnswer(ctx, h)
	}
}

func (c *Call) confirmAnswer(ctx context.Context, h Heard) {
	switch h.Verdict {
	case Yes:
		if !c.heard {
			// VOI-02: a yes counts only once the whole read-back was heard.
			c.tries++
			c.readCard(ctx, c.card, "Let me read it to the end first. ")
			return
		}
		c.decide(ctx, true, "")
	case No:
		c.decide(ctx, false, "")
	case Backchannel:
		c.reprompt(ctx, "I need a clear answer.")
	case OtherTarget:
		c.reprompt(ctx, fmt.Sprintf("You said %s, but this is about %s.", strings.Join(Name(h.Target, AnyWord{}), " "), strings.Join(Name(target(c.card), AnyWord{}), " ")))
	default:
		c.reprompt(ctx, "Sorry, I didn't get that.")
	}
}

func (c *Call) phraseAnswer(ctx context.Context, h Heard) {
	id := strings.ToLower(target(c.card))
	switch {
	case h.Verdict == No:
		c.decide(ctx, false, "")
	case h.Verdict == Spelled && h.Phrase == id:
		c.decide(ctx, true, target(c.card))
	case h.Verdict == Spelled:
		c.reprompt(ctx, fmt.Sprintf("I heard %s, which is not the name.", Spell(h.Phrase)))
	default:
		c.reprompt(ctx, "Sorry, I didn't get that.")
	}
}

func (c *Call) ackAnswer(ctx context.Context, ack, no bool) {
	n := c.st.Notice
	switch {
	case ack:
		lead := "Acknowledged. "
		if err := n.Acknowledge(ctx, c.st.Actor); err != nil {
			lead = "I could not acknowledge it: " + Spoken(err.Error()) + ". "
		}
		c.afterNotice(ctx, lead)
	case no:
		c.afterNotice(ctx, "Not acknowledged. ")
	default:
		c.reprompt(ctx, "Say acknowledge, or press 1.")
	}
}

// afterNotice moves on from the notice: its proposal, or goodbye.
func (c *Call) afterNotice(ctx context.Context, lead string) {
	if id := c.st.Notice.Proposal; id != "" {
		if p, err := c.core.Turns.Proposal(ctx, c.st.Actor, id); err == nil && p.State == session.ProposalPending {
			card := p.Card
			c.readCard(ctx, &card, lead+"A fix is proposed. ")
			return
		}
	}
	c.hangup(ctx, lead+"Goodbye.")
}

// reprompt asks again; after the configured re-prompts, the keypad.
func (c *Call) reprompt(ctx context.Context, why string) {
	c.tries++
	switch {
	case c.phase == phaseMenu:
		c.menu(ctx, why+" ")
	case c.tries > c.cfg.Reprompts && c.phase == phasePhrase:
		c.hangup(ctx, why+" I could not hear the name. Nothing was changed: you can still confirm it in the chat, where it is shown. Goodbye.")
	case c.tries > c.cfg.Reprompts && c.phase != phaseAck:
		c.phase = phaseKeypad
		c.say(ctx, why+" Please use the keypad. "+keypadHow, false)
	case c.phase == phaseAck:
		c.say(ctx, why+" To acknowledge, say acknowledge, or press 1. Otherwise, press 2.", false)
	case c.phase == phasePhrase:
		c.say(ctx, why+" "+SpellPrompt(c.card), false)
	case c.phase == phaseCooling:
		c.say(ctx, why+" "+CoolingPrompt(c.coolingLeft(), c.cfg.CallBack != nil), false)
	default:
		c.say(ctx, why+" "+confirmHow, false)
	}
}

// silence is a prompt left unanswered.
func (c *Call) silence(ctx context.Context) {
	switch c.phase {
	case phaseKeypad:
		c.hangup(ctx, "Nothing was changed; it is still waiting for you in the chat. Goodbye.")
	case phaseMenu:
		if c.tries >= c.cfg.Reprompts {
			c.hangup(ctx, "Goodbye.")
			return
		}
		c.tries++
		c.menu(ctx, "")
	case phaseCooling:
	default:
		c.reprompt(ctx, "I did not hear an answer.")
	}
}
