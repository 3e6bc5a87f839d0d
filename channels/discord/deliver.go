package discord

// Posting: replies to a turn, deliveries from the core's feed, and the
// edits of proposal cards. Every call goes through chatkit.Retry, so a
// rate limit delays a message and never drops it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/session"
)

// post shows parts in a channel: the text parts together (split at the
// limit), each card as its own message with buttons, remembered so it is
// edited when its proposal ends. replyTo, when set, makes each message a
// reply to that message. actor owns the cards (nil: they are not
// remembered).
func (a *Adapter) post(ctx context.Context, chat, replyTo string, actor *session.Actor, parts []session.Part) error {
	now := a.bridge.Now()
	var pending []session.Part
	flush := func() error {
		defer func() { pending = nil }()
		for _, text := range Pieces(plain(pending, now), MaxText) {
			if _, err := a.send(ctx, chat, replyTo, text, nil); err != nil {
				return err
			}
		}
		return nil
	}
	for _, p := range parts {
		c, ok := p.(*session.ProposalCard)
		if !ok {
			pending = append(pending, p)
			continue
		}
		if err := flush(); err != nil {
			return err
		}
		texts, buttons := cardMessages(c, now)
		var m *discordgo.Message
		for i, text := range texts {
			var comps []discordgo.MessageComponent
			if i == len(texts)-1 {
				comps = buttons
			}
			var err error
			if m, err = a.send(ctx, chat, replyTo, text, comps); err != nil {
				return err
			}
		}
		if m == nil {
			continue
		}
		if actor == nil {
			a.o.Log.WarnContext(ctx, "card for an unknown actor is not remembered", "channel", a.o.Channel, "proposal", c.ID)
			continue
		}
		if err := a.bridge.RememberCard(ctx, *actor, c, chat+"/"+m.ID); err != nil {
			a.o.Log.ErrorContext(ctx, "remember card", "channel", a.o.Channel, "proposal", c.ID, "err", err)
		}
	}
	return flush()
}

// send creates one message.
func (a *Adapter) send(ctx context.Context, chat, replyTo, text string, comps []discordgo.MessageComponent) (*discordgo.Message, error) {
	data := &discordgo.MessageSend{Content: text, Components: comps, AllowedMentions: noPings()}
	if replyTo != "" {
		no := false
		data.Reference = &discordgo.MessageReference{MessageID: replyTo, ChannelID: chat, FailIfNotExists: &no}
	}
	return chatkit.Retry(ctx, a.o.Log, "send message", func(ctx context.Context) (*discordgo.Message, error) {
		m, err := a.s.ChannelMessageSendComplex(chat, data, discordgo.WithContext(ctx))
		return m, classify("send message to "+chat, err)
	})
}

// Deliver shows an event's outbound at an address (bridge.Pump). A
// message that could not be sent after retries is not sent again with
// the rest of the event.
func (a *Adapter) Deliver(ctx context.Context, to session.Address, out session.Outbound) error {
	if to.Chat == "" {
		d, err := a.Direct(ctx, to.Account)
		if err != nil {
			return err
		}
		to.Chat = d.Chat
	}
	var actor *session.Actor
	if act, ok := a.bridge.Actor(ctx, to.Account); ok {
		actor = &act
	}
	if err := a.post(ctx, to.Chat, "", actor, out.Parts); err != nil {
		if ctx.Err() != nil {
			return err
		}
		return chatkit.Permanent(fmt.Errorf("%s: deliver to %s: %w", a.label, to.Chat, err))
	}
	return nil
}

// Direct opens (or finds) the DM channel with an account.
func (a *Adapter) Direct(ctx context.Context, account string) (session.Address, error) {
	ch, err := a.s.UserChannelCreate(account, discordgo.WithContext(ctx))
	if err != nil {
		return session.Address{}, classify("open DM with "+account, err)
	}
	return session.Address{Channel: a.o.Channel, Account: account, Chat: ch.ID}, nil
}

// editEnded edits a card whose proposal ended to its outcome and removes
// its buttons (one attempt; callers retry).
func (a *Adapter) editEnded(ctx context.Context, e chatkit.Ended) error {
	chat, msg, ok := strings.Cut(e.Ref, "/")
	if !ok || chat == "" || msg == "" {
		return chatkit.Permanent(fmt.Errorf("%s: card reference %q", a.label, e.Ref))
	}
	return a.editCard(ctx, chat, msg, endedContent(e, a.bridge.Now()))
}

func (a *Adapter) editCard(ctx context.Context, chat, msg, content string) error {
	none := []discordgo.MessageComponent{}
	_, err := a.s.ChannelMessageEditComplex(&discordgo.MessageEdit{ID: msg, Channel: chat, Content: &content, Components: &none, AllowedMentions: noPings()}, discordgo.WithContext(ctx))
	return classify("edit card "+chat+"/"+msg, err)
}

// settle edits the card of a proposal if it has ended.
func (a *Adapter) settle(ctx context.Context, p session.ProposalID) {
	e, ok := a.bridge.Settle(ctx, p)
	if !ok {
		return
	}
	a.retryEdit(ctx, e)
}

func (a *Adapter) retryEdit(ctx context.Context, e chatkit.Ended) {
	if _, err := chatkit.Retry(ctx, a.o.Log, "edit card", func(ctx context.Context) (struct{}, error) { return struct{}{}, a.editEnded(ctx, e) }); err != nil {
		a.o.Log.ErrorContext(ctx, "edit card", "channel", a.o.Channel, "proposal", e.Proposal.ID, "err", err)
	}
}

// sweep edits the cards of every proposal that ended (what Watch does on
// each tick).
func (a *Adapter) sweep(ctx context.Context) error {
	ended, err := a.bridge.Sweep(ctx)
	for _, e := range ended {
		a.retryEdit(ctx, e)
	}
	return err
}
