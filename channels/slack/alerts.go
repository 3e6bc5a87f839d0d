package slack

import (
	"context"
	"fmt"
	"strings"

	"github.com/slack-go/slack"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// alertBlocks is an alert card in Block Kit: its text in sections and an
// actions block with the acts its state offers (none once resolved).
func alertBlocks(c *session.AlertCard) (string, []slack.Block) {
	text := escape(channels.AlertText(c, false))
	blocks := sections(channels.AlertText(c, false), maxBlocks-1)
	var buttons []slack.BlockElement
	for _, k := range chatkit.AlertButtons(c) {
		data := chatkit.AlertButtonData(k, c.ID)
		b := slack.NewButtonBlockElement(data, data, slack.NewTextBlockObject(slack.PlainTextType, chatkit.AlertLabel(k), false, false))
		if k == session.AlertAck {
			b = b.WithStyle(slack.StylePrimary)
		}
		buttons = append(buttons, b)
	}
	if len(buttons) > 0 {
		blocks = append(blocks, slack.NewActionBlock("alert:"+string(c.ID), buttons...))
	}
	return text, blocks
}

// PostAlert posts an alert card, or updates the message ref names
// (chatkit.AlertPoster). One attempt: the bridge retries.
func (a *Adapter) PostAlert(ctx context.Context, to session.Address, c *session.AlertCard, ref string) (string, error) {
	text, blocks := alertBlocks(c)
	opts := []slack.MsgOption{slack.MsgOptionText(text, false), slack.MsgOptionBlocks(blocks...), slack.MsgOptionDisableLinkUnfurl()}
	if ref != "" {
		channel, ts, ok := strings.Cut(ref, "/")
		if !ok {
			return "", chatkit.Permanent(fmt.Errorf("alert reference %q", ref))
		}
		if _, _, _, err := a.api.UpdateMessageContext(ctx, channel, ts, opts...); err != nil {
			return "", fmt.Errorf("edit alert %s: %w", ref, classify(err))
		}
		return ref, nil
	}
	channel, _ := splitChat(to.Chat)
	if channel == "" {
		d, err := a.Direct(ctx, to.Account)
		if err != nil {
			return "", err
		}
		channel = d.Chat
	}
	_, ts, err := a.api.PostMessageContext(ctx, channel, opts...)
	if err != nil {
		return "", fmt.Errorf("post alert in %s: %w", channel, classify(err))
	}
	return channel + "/" + ts, nil
}

// onAlertAction carries out an alert button's act; the answer is shown to
// the presser only, and every copy of the card is edited by the alert's
// own delivery.
func (a *Adapter) onAlertAction(ctx context.Context, from session.Address, key string, act session.AlertAct) {
	out := a.bridge.AlertAct(ctx, from, act)
	if err := a.show(ctx, from, out.Parts, from.Account); err != nil {
		a.log.ErrorContext(ctx, "alert act reply not posted", "press", key, "err", err)
	}
}

var _ chatkit.AlertPoster = (*Adapter)(nil)
