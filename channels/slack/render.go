package slack

import (
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// outMsg is one Slack message to post: its text (mrkdwn, escaped), and
// for a proposal card its blocks and the card.
type outMsg struct {
	text   string
	blocks []slack.Block
	card   *session.ProposalCard
}

var escaper = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")

// escape makes text we did not format show as typed in Slack's mrkdwn.
func escape(s string) string { return escaper.Replace(s) }

// splitEscaped cuts text into pieces whose escaped form is at most limit
// characters, and returns them escaped. Nothing is dropped.
func splitEscaped(text string, limit int) []string {
	return chatkit.Fit(text, limit, escape, utf8.RuneCountInString)
}

// render turns a turn's parts into messages: text, errors and progress
// joined (split at MaxText), and one message per proposal card.
func render(parts []session.Part, now time.Time, dm bool, botID string) []outMsg {
	split := func(s string) []string { return splitEscaped(s, MaxText) }
	card := func(c *session.ProposalCard) []outMsg { return []outMsg{cardMessage(c, now, dm, botID)} }
	return chatkit.Render(parts, now, split, func(piece string) outMsg { return outMsg{text: piece} }, card)
}

func mrkdwn(s string) *slack.TextBlockObject {
	return slack.NewTextBlockObject(slack.MarkdownType, s, false, true)
}

// sections cuts escaped text into section blocks of at most MaxSection
// characters, keeping room for the other blocks of a message.
func sections(text string, room int) []slack.Block {
	var out []slack.Block
	pieces := splitEscaped(text, MaxSection)
	for i, p := range pieces {
		if len(out) == room-1 && i < len(pieces)-1 {
			out = append(out, slack.NewSectionBlock(mrkdwn("… (too long to show in full)"), nil, nil))
			break
		}
		out = append(out, slack.NewSectionBlock(mrkdwn(p), nil, nil))
	}
	return out
}

// cardMessage is a proposal card: its text (chatkit.CardBody), and
// Confirm (primary) and Reject (danger) buttons carrying
// chatkit.ButtonData; a card that needs the typed danger phrase has only
// Reject, and its text says what to type.
func cardMessage(c *session.ProposalCard, now time.Time, dm bool, botID string) outMsg {
	body := chatkit.CardBody(c, now)
	extra := 1
	var hint slack.Block
	if c.DangerPhraseRequired && !dm && botID != "" {
		hint = slack.NewContextBlock("hint", mrkdwn(fmt.Sprintf("In a channel, mention me first: <@%s> confirm %s …", botID, c.ID)))
		extra++
	}
	blocks := sections(body, maxBlocks-extra)
	if hint != nil {
		blocks = append(blocks, hint)
	}
	reject := slack.NewButtonBlockElement(chatkit.ButtonData(c.ID, false), chatkit.ButtonData(c.ID, false), slack.NewTextBlockObject(slack.PlainTextType, "Reject", false, false)).WithStyle(slack.StyleDanger)
	var buttons []slack.BlockElement
	if !c.DangerPhraseRequired {
		confirm := slack.NewButtonBlockElement(chatkit.ButtonData(c.ID, true), chatkit.ButtonData(c.ID, true), slack.NewTextBlockObject(slack.PlainTextType, "Confirm", false, false)).WithStyle(slack.StylePrimary)
		buttons = append(buttons, confirm)
	}
	buttons = append(buttons, reject)
	blocks = append(blocks, slack.NewActionBlock("decide", buttons...))
	fallback := fmt.Sprintf("Needs your confirmation — level %d (%s): %s", c.SafetyLevel, channels.LevelName(c.SafetyLevel), c.Summary)
	return outMsg{text: splitEscaped(fallback, MaxText)[0], blocks: blocks, card: c}
}

// outcomeMessage is what a card becomes when its proposal ends: what it
// was, and how it ended; no buttons.
func outcomeMessage(p session.Proposal) (string, []slack.Block) {
	summary := string(p.Tool)
	if p.Card.Summary != "" {
		summary = p.Card.Summary
	}
	text := fmt.Sprintf("%s — level %d (%s), proposal %s\n%s", summary, p.Level, channels.LevelName(p.Level), p.ID, chatkit.Outcome(p))
	return splitEscaped(text, MaxText)[0], sections(text, maxBlocks)
}
