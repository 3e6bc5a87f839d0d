package discord

// Messages from the gateway: which ones are for the bot, and the turn
// each one makes.

import (
	"context"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/session"
)

// addressed returns the text of a message meant for the bot: any message
// in a DM; in a guild channel, one that mentions the bot, with the
// mention removed.
func (a *Adapter) addressed(m *discordgo.Message) (string, bool) {
	if m.GuildID == "" {
		return strings.TrimSpace(m.Content), true
	}
	mentioned := false
	for _, u := range m.Mentions {
		if u != nil && u.ID == a.bot.ID {
			mentioned = true
		}
	}
	text := m.Content
	for _, tag := range []string{"<@" + a.bot.ID + ">", "<@!" + a.bot.ID + ">"} {
		if strings.Contains(text, tag) {
			mentioned = true
			text = strings.ReplaceAll(text, tag, " ")
		}
	}
	return strings.TrimSpace(text), mentioned
}

// ignored reports messages the bot never answers: its own, other bots',
// webhooks' and system messages.
func (a *Adapter) ignored(m *discordgo.Message) bool {
	if m.Author == nil || m.Author.Bot || m.Author.System || m.Author.ID == a.bot.ID || m.WebhookID != "" {
		return true
	}
	return m.Type != discordgo.MessageTypeDefault && m.Type != discordgo.MessageTypeReply
}

// onMessage makes the turn of one message and posts the reply.
func (a *Adapter) onMessage(ctx context.Context, m *discordgo.Message) {
	defer a.done(m.ID)
	if a.ignored(m) {
		return
	}
	text, ok := a.addressed(m)
	if !ok || text == "" {
		return
	}
	account := m.Author.ID
	_, linked := a.bridge.Actor(ctx, account)
	// A redelivered message from an unlinked account, or a redelivered
	// "link CODE", never reaches a turn: answer it once.
	if a.bridge.Seen(m.ID) && (!linked || isLinkRedeem(text)) {
		return
	}
	log := a.o.Log.With("message", m.ID, "chat", m.ChannelID)
	out := a.bridge.Message(ctx, session.Address{Account: account, Chat: m.ChannelID}, m.ID, text)
	if err := a.post(ctx, m.ChannelID, m.ID, account, out.Parts); err != nil {
		log.ErrorContext(ctx, "reply", "err", err)
	}
	// A typed decision ("confirm p_…", "reject p_…") ended a proposal
	// that may be shown here: edit its card now rather than at the next sweep.
	for _, d := range out.Decided {
		a.settle(ctx, d.Proposal)
	}
}

func isLinkRedeem(text string) bool {
	_, ok := session.LinkRedeemCode(text)
	return ok
}
