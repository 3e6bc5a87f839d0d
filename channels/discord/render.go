package discord

// Rendering: the kernel's parts as Discord messages. Text the adapter did
// not write is escaped, so Discord shows it as sent; messages never ping.

import (
	"encoding/json"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/chatkit"
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
	var out []string
	add := func(p string) {
		if strings.TrimSpace(p) != "" {
			out = append(out, Escape(p))
		}
	}
	for _, p := range chatkit.Split(text, max) {
		if utf8.RuneCountInString(Escape(p)) <= max {
			add(p)
			continue
		}
		// Escaping at most doubles a piece.
		for _, q := range chatkit.Split(p, max/2) {
			add(q)
		}
	}
	return out
}

// plain renders parts other than cards as one text (blank lines between
// parts).
func plain(parts []session.Part, now time.Time) string {
	var b []string
	for _, p := range parts {
		if t := channels.PlainText(p, now); strings.TrimSpace(t) != "" {
			b = append(b, t)
		}
	}
	return strings.Join(b, "\n\n")
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
	var c session.ProposalCard
	if json.Unmarshal(p.Card, &c) == nil && c.ID != "" {
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
