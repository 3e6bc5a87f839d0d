package slack

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// call runs one Web API call through chatkit.Retry: a 429 waits as Slack
// asked (and never counts as a failure); an error Slack would give again
// is returned at once.
func call[T any](ctx context.Context, a *Adapter, what string, fn func(context.Context) (T, error)) (T, error) {
	return chatkit.Retry(ctx, a.log, what, func(ctx context.Context) (T, error) {
		v, err := fn(ctx)
		return v, classify(err)
	})
}

// classify maps the library's errors to chatkit's retry rules.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var rl *slack.RateLimitedError
	if errors.As(err, &rl) {
		return &chatkit.RetryAfter{Wait: rl.RetryAfter, Err: err}
	}
	var se slack.SlackErrorResponse
	if errors.As(err, &se) {
		switch se.Err {
		case "ratelimited":
			return &chatkit.RetryAfter{Wait: time.Second, Err: err}
		case "internal_error", "fatal_error", "service_unavailable", "request_timeout":
			return err
		}
		return chatkit.Permanent(err)
	}
	var sc slack.StatusCodeError
	if errors.As(err, &sc) && sc.Code >= 400 && sc.Code < 500 {
		return chatkit.Permanent(err)
	}
	return err
}

// splitChat reads an address's Chat: "<channel>" or "<channel>/<thread ts>".
func splitChat(chat string) (channel, thread string) {
	channel, thread, _ = strings.Cut(chat, "/")
	return channel, thread
}

// chatOf is the Chat of a conversation and thread.
func chatOf(channel, thread string) string {
	if thread == "" {
		return channel
	}
	return channel + "/" + thread
}

// isDM reports whether a conversation id is a direct message (only the
// bot and one person see it).
func isDM(channel string) bool { return strings.HasPrefix(channel, "D") }

// Direct opens (or finds) the direct conversation with a Slack user.
func (a *Adapter) Direct(ctx context.Context, account string) (session.Address, error) {
	ch, err := call(ctx, a, "conversations.open", func(ctx context.Context) (*slack.Channel, error) {
		c, _, _, err := a.api.OpenConversationContext(ctx, &slack.OpenConversationParameters{Users: []string{account}})
		return c, err
	})
	if err != nil {
		return session.Address{}, fmt.Errorf("open a direct conversation with %s: %w", account, err)
	}
	if ch == nil || ch.ID == "" {
		return session.Address{}, chatkit.Permanent(fmt.Errorf("open a direct conversation with %s: no channel in the answer", account))
	}
	return session.Address{Channel: a.o.Channel, Account: account, Chat: ch.ID}, nil
}

// Deliver shows an event from the core's feed at its address.
func (a *Adapter) Deliver(ctx context.Context, to session.Address, out session.Outbound) error {
	return a.show(ctx, to, out.Parts, "")
}

// show posts parts at an address: in its thread, as messages everyone in
// the conversation sees, or (ephemeralFor set) as messages only that user
// sees. A proposal card's message is remembered so it can be edited when
// the proposal ends.
func (a *Adapter) show(ctx context.Context, to session.Address, parts []session.Part, ephemeralFor string) error {
	channel, thread := splitChat(to.Chat)
	if channel == "" {
		d, err := a.Direct(ctx, to.Account)
		if err != nil {
			return err
		}
		channel = d.Chat
	}
	for _, m := range render(parts, a.o.Now(), isDM(channel), a.botID) {
		opts := []slack.MsgOption{slack.MsgOptionText(m.text, false), slack.MsgOptionDisableLinkUnfurl()}
		if m.blocks != nil {
			opts = append(opts, slack.MsgOptionBlocks(m.blocks...))
		}
		if thread != "" {
			opts = append(opts, slack.MsgOptionTS(thread))
		}
		if ephemeralFor != "" && m.card == nil {
			if _, err := call(ctx, a, "chat.postEphemeral", func(ctx context.Context) (string, error) {
				return a.api.PostEphemeralContext(ctx, channel, ephemeralFor, opts...)
			}); err != nil {
				return fmt.Errorf("post ephemeral message in %s: %w", channel, err)
			}
			continue
		}
		ts, err := call(ctx, a, "chat.postMessage", func(ctx context.Context) (string, error) {
			_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
			return ts, err
		})
		if err != nil {
			return fmt.Errorf("post message in %s: %w", channel, err)
		}
		if m.card != nil {
			a.bridge.Remember(ctx, to.Account, m.card, channel+"/"+ts)
		}
	}
	return nil
}

// editEnded edits the card of a proposal that ended to its outcome and
// removes its buttons (one attempt: the bridge retries it).
func (a *Adapter) editEnded(ctx context.Context, e chatkit.Ended) error {
	channel, ts, ok := strings.Cut(e.Ref, "/")
	if !ok || channel == "" || ts == "" {
		return chatkit.Permanent(fmt.Errorf("card reference %q", e.Ref))
	}
	text, blocks := outcomeMessage(e.Proposal)
	_, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...))
	if err != nil {
		return fmt.Errorf("edit card %s: %w", e.Ref, classify(err))
	}
	return nil
}
