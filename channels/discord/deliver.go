package discord

// Posting: replies to a turn, deliveries from the core's feed, and the
// edits of proposal cards. Every call goes through chatkit.Retry, so a
// rate limit delays a message and never drops it.

import (
	"context"
	"fmt"
	"strings"

	"github.com/bwmarrin/discordgo"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// post shows parts in a channel: the text parts together (split at the
// limit), each card as its own message with buttons, remembered for the
// actor the account is linked to so it is edited when its proposal ends.
// replyTo, when set, makes each message a reply to that message.
func (a *Adapter) post(ctx context.Context, chat, replyTo, account string, parts []session.Part) error {
	for _, m := range render(parts, a.bridge.Now()) {
		sent, err := a.send(ctx, chat, replyTo, m.text, m.buttons)
		if err != nil {
			return err
		}
		if m.card != nil {
			a.bridge.Remember(ctx, account, m.card, chat+"/"+sent.ID)
		}
	}
	return nil
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
	if err := a.post(ctx, to.Chat, "", to.Account, out.Parts); err != nil {
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
	a.bridge.SettleEdit(ctx, p, a.editEnded)
}

// sweep edits the cards of every proposal that ended (what Watch does on
// each tick).
func (a *Adapter) sweep(ctx context.Context) error {
	return a.bridge.SweepEdit(ctx, a.editEnded)
}
