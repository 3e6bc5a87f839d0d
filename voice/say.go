package voice

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// reIdent finds identifiers in text: words joined by dashes, dots or
// underscores ("web-1", "shop.acme.test").
var reIdent = regexp.MustCompile(`[A-Za-z0-9]+(?:[-_.][A-Za-z0-9]+)+`)

// Spoken prepares text for a synthesizer: identifiers become their
// spoken names ("web-1" → "web one"), so no engine guesses at them.
func Spoken(text string) string {
	return reIdent.ReplaceAllStringFunc(text, func(id string) string { return strings.Join(Name(id, AnyWord{}), " ") })
}

// Target is the resource a proposal is about (its first direct target),
// or "" when it names none.
func target(c *session.ProposalCard) string {
	if len(c.Impact.Targets) > 0 {
		return c.Impact.Targets[0].ID
	}
	return ""
}

// ReadBack is what a call says about a proposal (CHAN-06, VOI-01): the
// action and its target, the target spelled by Spell, what else it
// affects, and how to answer. Level 4 asks for the name spelled.
func ReadBack(c *session.ProposalCard) string {
	var b strings.Builder
	if c.SafetyLevel >= 4 {
		b.WriteString("This is critical. ")
	}
	fmt.Fprintf(&b, "%s. ", Spoken(strings.TrimSuffix(c.Summary, ".")))
	if id := target(c); id != "" {
		fmt.Fprintf(&b, "That is %s, spelled: %s. ", strings.Join(Name(id, AnyWord{}), " "), Spell(id))
	}
	if n := len(c.Impact.Cascade); n > 0 {
		var names []string
		for _, r := range c.Impact.Cascade {
			if n := strings.Join(Name(r.ID, AnyWord{}), " "); !slices.Contains(names, n) {
				names = append(names, n)
			}
		}
		fmt.Fprintf(&b, "It also affects %s. ", strings.Join(names, ", "))
	}
	if !c.Impact.Reversible {
		b.WriteString("It cannot be undone. ")
	}
	if c.DangerPhraseRequired {
		b.WriteString("To confirm it, you will spell the name, letter by letter. To cancel, say cancel, or press 2.")
		return b.String()
	}
	b.WriteString(confirmHow)
	return b.String()
}

const (
	confirmHow = "To confirm, say approve, or press 1. To cancel, say cancel, or press 2."
	keypadHow  = "Press 1 to confirm, or 2 to cancel."
)

// SpellPrompt asks for the danger phrase of a level-4 proposal.
func SpellPrompt(c *session.ProposalCard) string {
	return fmt.Sprintf("To confirm, spell the name now: %s. Or say cancel.", Spell(target(c)))
}

// CoolingPrompt says how long a level-4 proposal must wait.
func CoolingPrompt(wait time.Duration, callBack bool) string {
	s := fmt.Sprintf("For safety, it can be confirmed in %s. Stay on the line and I will ask you then.", sayDuration(wait))
	if callBack {
		s += " Or press 9, and I will call you back when it can be."
	}
	return s
}

func sayDuration(d time.Duration) string {
	s := int((d + time.Second - 1) / time.Second)
	switch {
	case s <= 1:
		return "one second"
	case s < 120:
		return fmt.Sprintf("%d seconds", s)
	}
	return fmt.Sprintf("%d minutes", (s+59)/60)
}

// SayParts is what a call says for a turn's answer: texts as they are
// (identifiers spoken), errors with their message, a new proposal read
// back, background work announced.
func SayParts(parts []session.Part) (string, *session.ProposalCard) {
	var say []string
	var card *session.ProposalCard
	for _, p := range parts {
		switch x := p.(type) {
		case *session.Text:
			say = append(say, Spoken(x.Text))
		case *session.Error:
			say = append(say, "That did not work: "+Spoken(x.Message))
		case *session.Progress:
			say = append(say, fmt.Sprintf("It is running in the background, %d percent done. I will tell you here while you stay on the line.", x.Percent))
		case *session.ProposalCard:
			if card == nil {
				card = x
			}
		}
	}
	return strings.Join(say, " "), card
}

// Outcome is what a call says when a proposal it is reading was decided
// elsewhere (on a chat channel) or expired.
func Outcome(p session.Proposal) string {
	var s string
	switch p.State {
	case session.ProposalExecuted:
		s = "It was confirmed in another channel and carried out."
	case session.ProposalFailed:
		s = "It was confirmed in another channel, but it failed."
	case session.ProposalRejected:
		s = "It was rejected; nothing was changed."
	case session.ProposalExpired:
		s = "It expired; nothing was changed."
	default:
		s = "It is " + channels.LevelName(p.Level) + ", " + string(p.State) + "."
	}
	if p.Outcome != nil {
		if t, _ := SayParts(p.Outcome.Parts); t != "" {
			s += " " + t
		}
	}
	return s
}
