package slack

import (
	"context"
	"regexp"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// handlerTimeout bounds the handling of one inbound event once accepted.
const handlerTimeout = 2 * time.Minute

// done tells a test that an inbound event has been handled.
func (a *Adapter) done(key string) {
	if a.handled != nil {
		a.handled(key)
	}
}

// spawn runs fn in the background, counted so Run can wait for it.
func (a *Adapter) spawn(fn func()) {
	a.mu.Lock()
	a.busy++
	a.mu.Unlock()
	go func() {
		defer func() {
			a.mu.Lock()
			a.busy--
			if a.busy == 0 && a.idle != nil {
				close(a.idle)
				a.idle = nil
			}
			a.mu.Unlock()
		}()
		fn()
	}()
}

// waitIdle waits until no handler runs in the background.
func (a *Adapter) waitIdle() {
	a.mu.Lock()
	if a.busy == 0 {
		a.mu.Unlock()
		return
	}
	if a.idle == nil {
		a.idle = make(chan struct{})
	}
	ch := a.idle
	a.mu.Unlock()
	<-ch
}

// onEvent handles one Events API event (from the socket or over HTTP).
// A direct message to the bot, or a message that mentions it, is a turn;
// anything else — bot messages, edits and other subtypes, the bot's own
// messages, channel messages that do not mention it (the app_mention
// event carries those that do) — is ignored.
func (a *Adapter) onEvent(ctx context.Context, eventID string, inner slackevents.EventsAPIInnerEvent, retry bool) {
	defer a.done(eventID)
	switch ev := inner.Data.(type) {
	case *slackevents.MessageEvent:
		if ev.SubType != "" || ev.BotID != "" || ev.User == "" || ev.User == a.botID || ev.ChannelType != "im" {
			return
		}
		a.onMessage(ctx, inbound{key: eventID, user: ev.User, channel: ev.Channel, text: ev.Text, ts: ev.TimeStamp, thread: ev.ThreadTimeStamp, retry: retry})
	case *slackevents.AppMentionEvent:
		if ev.BotID != "" || ev.User == "" || ev.User == a.botID {
			return
		}
		a.onMessage(ctx, inbound{key: eventID, user: ev.User, channel: ev.Channel, text: ev.Text, ts: ev.TimeStamp, thread: ev.ThreadTimeStamp, retry: retry})
	}
}

// inbound is a message for the bot.
type inbound struct {
	key, user, channel, text, ts, thread string
	retry                                bool // Slack's retry of a delivery
}

var reMention = regexp.MustCompile(`<@([A-Z0-9]+)(?:\|[^>]*)?>`)

// cleanText removes mentions of the bot and undoes Slack's escaping.
func (a *Adapter) cleanText(s string) string {
	s = reMention.ReplaceAllStringFunc(s, func(m string) string {
		if reMention.FindStringSubmatch(m)[1] == a.botID {
			return ""
		}
		return m
	})
	s = strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
	return strings.TrimSpace(s)
}

// onMessage runs a turn for a message and posts the replies in its thread.
// A retry of an event this process has already taken is not answered
// again (the first delivery answers it); any other redelivery gets the
// kernel's stored outcome, so nothing runs twice.
func (a *Adapter) onMessage(ctx context.Context, m inbound) {
	if a.bridge.Seen(m.key) && m.retry {
		a.log.DebugContext(ctx, "retry of an event already taken", "event", m.key)
		return
	}
	thread := m.thread
	if thread == "" {
		thread = m.ts
	}
	from := session.Address{Channel: a.o.Channel, Account: m.user, Chat: chatOf(m.channel, thread)}
	text := a.cleanText(m.text)
	out := a.bridge.Message(ctx, from, m.key, text)
	parts := out.Parts
	private := ""
	if !isDM(m.channel) && (hasError(parts, session.CodeUnknownSender) || session.IsLinkRequest(text)) {
		private = m.user
	}
	if err := a.show(ctx, from, parts, private); err != nil {
		a.log.ErrorContext(ctx, "reply not posted", "event", m.key, "err", err)
	}
	// A typed decision: edit its card now rather than at the next sweep.
	for _, d := range out.Decided {
		a.bridge.SettleEdit(ctx, d.Proposal, a.editEnded)
	}
}

func hasError(parts []session.Part, code string) bool {
	for _, p := range parts {
		if e, ok := p.(*session.Error); ok && e.Code == code {
			return true
		}
	}
	return false
}

// pressKey is a button press's dedupe key: its trigger_id, unique per
// press and the same when Slack redelivers it.
func pressKey(ic slack.InteractionCallback) string {
	if ic.TriggerID != "" {
		return ic.TriggerID
	}
	return "press:" + ic.User.ID + ":" + ic.Container.ChannelID + ":" + ic.Container.MessageTs + ":" + ic.ActionTs
}

// onAction handles a press of a card's button: a decision for the
// presser. A refusal (someone else's proposal, an unlinked user, an
// expired or unknown proposal, one already decided) is shown only to the
// presser; the outcome of a decision is posted in the card's thread, and
// the card is edited once its proposal has ended.
func (a *Adapter) onAction(ctx context.Context, ic slack.InteractionCallback, retry bool) {
	key := pressKey(ic)
	defer a.done(key)
	if ic.Type != slack.InteractionTypeBlockActions {
		return
	}
	if a.bridge.Seen(key) && retry {
		return
	}
	channel := ic.Container.ChannelID
	if channel == "" {
		channel = ic.Channel.ID
	}
	msgTS := ic.Container.MessageTs
	if msgTS == "" {
		msgTS = ic.Message.Timestamp
	}
	thread := ic.Container.ThreadTs
	if thread == "" {
		thread = ic.Message.ThreadTimestamp
	}
	if thread == "" {
		thread = msgTS
	}
	for _, act := range ic.ActionCallback.BlockActions {
		if alertAct, ok := chatkit.ParseAlertButton(act.Value); ok { // alerts.go
			a.onAlertAction(ctx, session.Address{Channel: a.o.Channel, Account: ic.User.ID, Chat: chatOf(channel, thread)}, key, alertAct)
			return
		}
		p, accept, ok := chatkit.ParseButtonData(act.Value)
		if !ok {
			p, accept, ok = chatkit.ParseButtonData(act.ActionID)
		}
		if !ok {
			continue
		}
		from := session.Address{Channel: a.o.Channel, Account: ic.User.ID, Chat: chatOf(channel, thread)}
		parts := a.bridge.Decide(ctx, from, key, p, accept).Parts
		private := ""
		if _, only := chatkit.OnlyErrors(parts); only {
			private = ic.User.ID
		}
		if err := a.show(ctx, from, parts, private); err != nil {
			a.log.ErrorContext(ctx, "decision reply not posted", "press", key, "err", err)
		}
		a.bridge.SettleEdit(ctx, p, a.editEnded)
		return
	}
	a.log.DebugContext(ctx, "press of a button that is not a decision", "press", key)
}
