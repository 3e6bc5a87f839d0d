package discord

// Rendering: the kernel's parts as Discord messages. Text the adapter did
// not write is escaped, so Discord shows it as sent; messages never ping.

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

var markdown = strings.NewReplacer(`\`, `\\`, `*`, `\*`, `_`, `\_`, `~`, `\~`, "`", "\\`", `|`, `\|`, `>`, `\>`)

// Escape escapes Discord markdown (\ * _ ~ ` | >) so the text shows as
// written.
func Escape(s string) string { return markdown.Replace(s) }

// noPings lets a message mention no one: no @everyone, @here, role or user
// pings, not even the author of the message replied to.
func noPings() *discordgo.MessageAllowedMentions {
	return &discordgo.MessageAllowedMentions{Parse: []discordgo.AllowedMentionType{}}
}

// Pieces escapes text and cuts it into messages of at most max
// characters. Cuts fall on raw text (never between a backslash and what
// it escapes); nothing is dropped but the separators cut at.
func Pieces(text string, max int) []string {
	return chatkit.Fit(text, max, Escape, utf8.RuneCountInString)
}

// message is one Discord message of a reply: its content and, on the last
// message of a proposal card, the card and its buttons.
type message struct {
	text    string
	buttons []discordgo.MessageComponent
	card    *session.ProposalCard
}

// render turns parts into messages: the text parts together (split at
// the limit), each card as its own messages, the buttons on the last.
func render(parts []session.Part, now time.Time) []message {
	split := func(s string) []string { return Pieces(s, MaxText) }
	card := func(c *session.ProposalCard) []message {
		texts, buttons := cardMessages(c, now)
		out := make([]message, len(texts))
		for i, t := range texts {
			out[i].text = t
		}
		if len(out) > 0 {
			out[len(out)-1].buttons, out[len(out)-1].card = buttons, c
		}
		return out
	}
	return chatkit.Render(parts, now, split, func(piece string) message { return message{text: piece} }, card)
}

// NeedsPhrase reports whether a card is confirmed by a typed phrase only
// (no Confirm button).
func NeedsPhrase(c *session.ProposalCard) bool {
	return c.DangerPhraseRequired || c.SafetyLevel >= 4
}

// cardMessages renders a proposal card: its text (with the typed
// instruction when a phrase is needed) and the buttons, on the last
// message when the text needs more than one.
func cardMessages(c *session.ProposalCard, now time.Time) ([]string, []discordgo.MessageComponent) {
	texts := Pieces(chatkit.CardBody(c, now), MaxText)
	buttons := []discordgo.MessageComponent{}
	if !NeedsPhrase(c) {
		buttons = append(buttons, discordgo.Button{Label: "Confirm", Style: discordgo.SuccessButton, CustomID: chatkit.ButtonData(c.ID, true)})
	}
	buttons = append(buttons, discordgo.Button{Label: "Reject", Style: discordgo.DangerButton, CustomID: chatkit.ButtonData(c.ID, false)})
	return texts, []discordgo.MessageComponent{discordgo.ActionsRow{Components: buttons}}
}

// endedContent is what a card is edited to when its proposal ends: the
// outcome, then what was proposed.
func endedContent(e chatkit.Ended, now time.Time) string {
	p := e.Proposal
	lines := []string{chatkit.Outcome(p), fmt.Sprintf("Proposal %s — level %d (%s)", p.ID, p.Level, channels.LevelName(p.Level))}
	if c := p.Card; c.ID != "" {
		full := strings.Split(channels.PlainText(&c, now), "\n")
		for _, l := range full[1:] {
			t := strings.TrimSpace(l)
			if strings.HasPrefix(t, "To confirm") || strings.HasPrefix(t, "To cancel") || strings.HasPrefix(t, "cooling period") || strings.HasPrefix(t, "expires:") {
				continue
			}
			lines = append(lines, l)
		}
	} else {
		lines = append(lines, "  tool: "+string(p.Tool))
	}
	text := Escape(strings.Join(lines, "\n"))
	if utf8.RuneCountInString(text) > MaxText {
		r := []rune(text)
		text = string(r[:MaxText-1]) + "…"
	}
	return text
}
