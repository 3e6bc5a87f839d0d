package telegram

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// handle handles one update. An error means it was not fully handled and
// should be delivered again (a permanent error means it never can be).
func (a *Adapter) handle(ctx context.Context, u tgbotapi.Update) error {
	switch {
	case u.Message != nil:
		return a.onMessage(ctx, u.Message)
	case u.CallbackQuery != nil:
		return a.onPress(ctx, u.CallbackQuery)
	}
	return nil // other kinds of update are not asked for
}

func (a *Adapter) onMessage(ctx context.Context, m *tgbotapi.Message) error {
	if m.From == nil || m.From.IsBot || m.Chat == nil {
		return nil // channel posts and other bots
	}
	text := a.stripMention(m.Text)
	if strings.TrimSpace(text) == "" {
		if m.Chat.IsPrivate() {
			return a.send(ctx, "", m.Chat.ID, m.MessageID, []session.Part{&session.Error{Code: session.CodeBadRequest, Message: "I can only read text messages."}})
		}
		return nil
	}
	id := fmt.Sprintf("tg:%d:%d", m.Chat.ID, m.MessageID)
	if a.answered.Has(id) {
		return nil
	}
	from := session.Address{Account: strconv.FormatInt(m.From.ID, 10), Chat: strconv.FormatInt(m.Chat.ID, 10)}
	_, linked := a.bridge.Actor(ctx, from.Account)
	out := a.bridge.Message(ctx, from, id, text)
	if err := a.send(ctx, from.Account, m.Chat.ID, m.MessageID, out.Parts); err != nil {
		return err
	}
	if !linked {
		a.answered.Add(id)
	}
	for _, d := range out.Decided { // a typed decision: edit its card now
		a.settle(ctx, d.Proposal)
	}
	return nil
}

func (a *Adapter) stripMention(text string) string {
	if u := a.base.Self.UserName; u != "" {
		text = strings.ReplaceAll(text, "@"+u, "")
	}
	return strings.TrimSpace(text)
}

func (a *Adapter) onPress(ctx context.Context, q *tgbotapi.CallbackQuery) error {
	if q.From == nil {
		a.answer(ctx, q.ID, "", false)
		return nil
	}
	if act, ok := chatkit.ParseAlertButton(q.Data); ok && q.Message != nil && q.Message.Chat != nil {
		return a.onAlertPress(ctx, q, act) // alerts.go
	}
	p, accept, ok := chatkit.ParseButtonData(q.Data)
	if !ok || q.Message == nil || q.Message.Chat == nil {
		a.bridge.Refuse(ctx, session.CodeBadRequest, fmt.Sprintf("callback data %.80q from %d", q.Data, q.From.ID))
		a.answer(ctx, q.ID, toast(&session.Error{Code: session.CodeBadRequest, Message: "This button is not one of mine."}), true)
		return nil
	}
	id := "tg:cb:" + q.ID
	if a.answered.Has(id) {
		return nil
	}
	from := session.Address{Account: strconv.FormatInt(q.From.ID, 10), Chat: strconv.FormatInt(q.Message.Chat.ID, 10)}
	_, linked := a.bridge.Actor(ctx, from.Account)
	parts := a.bridge.Decide(ctx, from, id, p, accept).Parts
	if refusal, only := chatkit.OnlyErrors(parts); only {
		// Refused: to the presser only, never into the chat.
		a.answer(ctx, q.ID, toast(refusal), true)
		if !linked {
			a.answered.Add(id)
		}
		a.settle(ctx, p) // an expired or decided card is edited now
		return nil
	}
	ack := "✗ Rejected"
	if accept {
		ack = "✓ Confirmed"
	}
	a.answer(ctx, q.ID, ack, false)
	if err := a.send(ctx, from.Account, q.Message.Chat.ID, q.Message.MessageID, parts); err != nil {
		return err
	}
	a.settle(ctx, p)
	return nil
}

// send renders parts and sends them in order, remembering each card's
// message for the actor the account is linked to. A rate limit delays it;
// a transient failure is retried, then returned.
func (a *Adapter) send(ctx context.Context, account string, chat int64, replyTo int, parts []session.Part) error {
	for _, m := range render(parts, a.bridge.Now()) {
		cfg := tgbotapi.NewMessage(chat, m.text)
		cfg.ParseMode = tgbotapi.ModeMarkdownV2
		cfg.DisableWebPagePreview = true
		if replyTo != 0 {
			cfg.ReplyToMessageID = replyTo
			cfg.AllowSendingWithoutReply = true
		}
		if m.kb != nil {
			cfg.ReplyMarkup = *m.kb
		}
		sent, err := a.call(ctx, "send message", cfg)
		if err != nil {
			return fmt.Errorf("send to chat %d: %w", chat, err)
		}
		if m.card != nil && m.kb != nil {
			a.bridge.Remember(ctx, account, m.card, cardRef(chat, sent.MessageID))
		}
	}
	return nil
}

// settle edits a card whose proposal has ended.
func (a *Adapter) settle(ctx context.Context, p session.ProposalID) {
	a.bridge.SettleEdit(ctx, p, a.editEnded)
}

// editEnded edits a card to its outcome and removes its keyboard.
func (a *Adapter) editEnded(ctx context.Context, e chatkit.Ended) error {
	chat, msg, ok := parseRef(e.Ref)
	if !ok {
		return chatkit.Permanent(fmt.Errorf("card reference %q", e.Ref))
	}
	cfg := tgbotapi.NewEditMessageText(chat, msg, endedCard(e, a.bridge.Now()))
	cfg.ParseMode = tgbotapi.ModeMarkdownV2
	cfg.DisableWebPagePreview = true
	_, err := a.bot(ctx).Send(cfg)
	return classify(err)
}

// Deliver shows an event from the core in a chat (to.Chat, else the
// private chat of to.Account). Each message is retried on its own, so a
// failure never repeats what was already shown.
func (a *Adapter) Deliver(ctx context.Context, to session.Address, out session.Outbound) error {
	target := to.Chat
	if target == "" {
		target = to.Account
	}
	if target == "" {
		return chatkit.Permanent(fmt.Errorf("telegram %s: the address names no account or chat to deliver to", a.o.Name))
	}
	chat, err := parseChat(target)
	if err != nil {
		return err
	}
	if err := a.send(ctx, to.Account, chat, 0, out.Parts); err != nil {
		return chatkit.Permanent(err)
	}
	return nil
}

// Direct is the private chat with an account: its id is the user id.
func (a *Adapter) Direct(ctx context.Context, account string) (session.Address, error) {
	if _, err := parseChat(account); err != nil {
		return session.Address{}, err
	}
	return session.Address{Channel: a.o.Channel, Account: account, Chat: account}, nil
}
