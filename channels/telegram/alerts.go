package telegram

import (
	"context"
	"fmt"
	"strconv"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/session"
)

// alertKeyboard is an alert card's inline keyboard: the acts its state
// offers (none once resolved).
func alertKeyboard(c *session.AlertCard) *tgbotapi.InlineKeyboardMarkup {
	var row []tgbotapi.InlineKeyboardButton
	for _, k := range chatkit.AlertButtons(c) {
		row = append(row, tgbotapi.NewInlineKeyboardButtonData(chatkit.AlertLabel(k), chatkit.AlertButtonData(k, c.ID)))
	}
	if len(row) == 0 {
		return &tgbotapi.InlineKeyboardMarkup{InlineKeyboard: [][]tgbotapi.InlineKeyboardButton{}}
	}
	kb := tgbotapi.NewInlineKeyboardMarkup(row)
	return &kb
}

// PostAlert posts an alert card with its keyboard, or edits the message
// ref names (chatkit.AlertPoster). One attempt: the bridge retries.
func (a *Adapter) PostAlert(ctx context.Context, to session.Address, c *session.AlertCard, ref string) (string, error) {
	text := boldHead(channels.AlertText(c, false))
	kb := alertKeyboard(c)
	if ref != "" {
		chat, msg, ok := parseRef(ref)
		if !ok {
			return "", chatkit.Permanent(fmt.Errorf("alert reference %q", ref))
		}
		cfg := tgbotapi.NewEditMessageTextAndMarkup(chat, msg, text, *kb)
		cfg.ParseMode = tgbotapi.ModeMarkdownV2
		_, err := a.bot(ctx).Send(cfg)
		return ref, classify(err)
	}
	target := to.Chat
	if target == "" {
		target = to.Account
	}
	chat, err := parseChat(target)
	if err != nil {
		return "", err
	}
	cfg := tgbotapi.NewMessage(chat, text)
	cfg.ParseMode = tgbotapi.ModeMarkdownV2
	cfg.DisableWebPagePreview = true
	if len(kb.InlineKeyboard) > 0 {
		cfg.ReplyMarkup = *kb
	}
	sent, err := a.bot(ctx).Send(cfg)
	if err != nil {
		return "", classify(err)
	}
	return cardRef(chat, sent.MessageID), nil
}

// onAlertPress carries out an alert button's act for the presser; the
// answer is a short toast, and every copy of the card is edited by the
// alert's own delivery.
func (a *Adapter) onAlertPress(ctx context.Context, q *tgbotapi.CallbackQuery, act session.AlertAct) error {
	id := "tg:cb:" + q.ID
	if a.answered.Has(id) {
		return nil
	}
	from := session.Address{Account: strconv.FormatInt(q.From.ID, 10), Chat: strconv.FormatInt(q.Message.Chat.ID, 10)}
	out := a.bridge.AlertAct(ctx, from, act)
	a.answered.Add(id)
	if refusal, only := chatkit.OnlyErrors(out.Parts); only {
		a.answer(ctx, q.ID, toast(refusal), true)
		return nil
	}
	a.answer(ctx, q.ID, shorten(channels.PlainText(out.Parts[0], a.bridge.Now())), false)
	return nil
}

// shorten fits a text in a callback answer.
func shorten(s string) string {
	r := []rune(s)
	for length(string(r)) > MaxToast && len(r) > 0 {
		r = r[:len(r)-1]
	}
	return string(r)
}

var _ chatkit.AlertPoster = (*Adapter)(nil)
