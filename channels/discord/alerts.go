package discord

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// alertMessage is an alert card as a Discord message: its text and a row
// of buttons for the acts its state offers (none once resolved).
func alertMessage(c *session.AlertCard) (string, []discordgo.MessageComponent) {
	text := Pieces(channels.AlertText(c, false), MaxText)[0]
	var buttons []discordgo.MessageComponent
	for _, k := range chatkit.AlertButtons(c) {
		style := discordgo.SecondaryButton
		if k == session.AlertAck {
			style = discordgo.PrimaryButton
		}
		buttons = append(buttons, discordgo.Button{Label: chatkit.AlertLabel(k), Style: style, CustomID: chatkit.AlertButtonData(k, c.ID)})
	}
	comps := []discordgo.MessageComponent{}
	if len(buttons) > 0 {
		comps = append(comps, discordgo.ActionsRow{Components: buttons})
	}
	return text, comps
}

// PostAlert posts an alert card, or edits the message ref names
// (chatkit.AlertPoster). One attempt: the bridge retries.
func (a *Adapter) PostAlert(ctx context.Context, to session.Address, c *session.AlertCard, ref string) (string, error) {
	text, comps := alertMessage(c)
	if ref != "" {
		chat, msg, ok := strings.Cut(ref, "/")
		if !ok {
			return "", chatkit.Permanent(fmt.Errorf("%s: alert reference %q", a.label, ref))
		}
		_, err := a.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: msg, Channel: chat, Content: &text, Components: &comps, AllowedMentions: noPings()}, discordgo.WithContext(ctx))
		return ref, classify("edit alert "+ref, err)
	}
	if to.Chat == "" {
		d, err := a.Direct(ctx, to.Account)
		if err != nil {
			return "", err
		}
		to.Chat = d.Chat
	}
	m, err := a.s.ChannelMessageSendComplex(to.Chat, &discordgo.MessageSend{Content: text, Components: comps, AllowedMentions: noPings()}, discordgo.WithContext(ctx))
	if err != nil {
		return "", classify("post alert to "+to.Chat, err)
	}
	return to.Chat + "/" + m.ID, nil
}

// alertPress carries out an alert button's act; the answer is shown to
// the presser alone, and every copy of the card is edited by the alert's
// own delivery.
func (a *Adapter) alertPress(ctx context.Context, u *discordgo.User, channel string, act session.AlertAct) outcome {
	parts := a.bridge.AlertAct(ctx, session.Address{Account: u.ID, Chat: channel}, act).Parts
	return outcome{private: parts, account: u.ID}
}

var _ chatkit.AlertPoster = (*Adapter)(nil)
