package telegram

import (
	"strings"
	"time"
	"unicode/utf16"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// MaxToast is the longest callback answer Telegram accepts.
const MaxToast = 200

// outMsg is one Telegram message to send: MarkdownV2 text, and the inline
// keyboard and card it carries, if any.
type outMsg struct {
	text string
	kb   *tgbotapi.InlineKeyboardMarkup
	card *session.ProposalCard
}

// escape makes s literal MarkdownV2. The library's EscapeText leaves the
// backslash alone, which MarkdownV2 also reserves, so it is escaped first.
func escape(s string) string {
	return tgbotapi.EscapeText(tgbotapi.ModeMarkdownV2, strings.ReplaceAll(s, `\`, `\\`))
}

// length counts as Telegram does: UTF-16 code units.
func length(s string) int { return len(utf16.Encode([]rune(s))) }

// splitEscaped cuts raw text into escaped pieces of at most limit
// characters each (after escaping), at paragraph, line or word breaks
// where it can.
func splitEscaped(raw string, limit int) []string {
	return chatkit.Fit(raw, limit, escape, length)
}

// render turns parts into messages: consecutive texts, errors and progress
// lines share a message (split at the limit); each proposal is its own
// message with its keyboard.
func render(parts []session.Part, now time.Time) []outMsg {
	split := func(s string) []string { return splitEscaped(s, MaxText) }
	text := func(piece string) outMsg { return outMsg{text: piece} }
	return chatkit.Render(parts, now, split, text, func(c *session.ProposalCard) []outMsg { return renderCard(c, now) })
}

// keyboard is a card's buttons: Confirm and Reject, or only Reject when a
// danger phrase must be typed. It is nil when a payload would not fit.
func keyboard(c *session.ProposalCard) *tgbotapi.InlineKeyboardMarkup {
	acc, rej := chatkit.ButtonData(c.ID, true), chatkit.ButtonData(c.ID, false)
	if len(acc) > 64 || len(rej) > 64 {
		return nil
	}
	row := []tgbotapi.InlineKeyboardButton{tgbotapi.NewInlineKeyboardButtonData("✓ Confirm", acc), tgbotapi.NewInlineKeyboardButtonData("✗ Reject", rej)}
	if c.DangerPhraseRequired {
		row = row[1:]
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(row)
	return &kb
}

func renderCard(c *session.ProposalCard, now time.Time) []outMsg {
	kb := keyboard(c)
	body := chatkit.CardBody(c, now)
	if kb == nil {
		body = channels.PlainText(c, now) // the typed instructions decide it
	}
	if md := boldHead(body); length(md) <= MaxText {
		return []outMsg{{text: md, kb: kb, card: c}}
	}
	var out []outMsg
	for _, piece := range splitEscaped(body, MaxText) {
		out = append(out, outMsg{text: piece})
	}
	out[len(out)-1].kb, out[len(out)-1].card = kb, c
	return out
}

// boldHead escapes text and makes its first line bold.
func boldHead(text string) string {
	head, rest, more := strings.Cut(text, "\n")
	md := "*" + escape(head) + "*"
	if more {
		md += "\n" + escape(rest)
	}
	return md
}

// endedCard is the text a card is edited to when its proposal ends: the
// card without its instructions, and the outcome.
func endedCard(e chatkit.Ended, now time.Time) string {
	outcome := chatkit.Outcome(e.Proposal)
	c := e.Proposal.Card
	if c.ID == "" {
		return escape(outcome)
	}
	var keep []string
	for _, l := range strings.Split(chatkit.CardBody(&c, now), "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "To confirm, type:") || strings.HasPrefix(t, "To cancel, type:") || strings.HasPrefix(t, "cooling period:") {
			continue
		}
		keep = append(keep, l)
	}
	md := boldHead(strings.Join(keep, "\n")) + "\n\n" + escape(outcome)
	if length(md) > MaxText {
		head, _, _ := strings.Cut(strings.Join(keep, "\n"), "\n")
		md = boldHead(head) + "\n\n" + escape(outcome)
	}
	return md
}

// shortUnknownSender fits the unknown_sender answer in a callback alert.
const shortUnknownSender = `I don't know who you are yet. Where you are signed in (web page or API) send "link my account", then send me "link ABCD-EFGH" in a private chat.`

// toast is a refusal as a callback answer: "✗ message [code]", the message
// shortened to fit.
func toast(e *session.Error) string {
	msg := e.Message
	if e.Code == session.CodeUnknownSender {
		msg = shortUnknownSender
	}
	suffix := " [" + e.Code + "]"
	room := MaxToast - length("✗ ") - length(suffix)
	if length(msg) > room {
		r := []rune(msg)
		for length(string(r))+1 > room && len(r) > 0 {
			r = r[:len(r)-1]
		}
		msg = strings.TrimSpace(string(r)) + "…"
	}
	return "✗ " + msg + suffix
}
