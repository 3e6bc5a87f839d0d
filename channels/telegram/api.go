package telegram

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/internal/chatkit"
)

// ctxDoer binds the library's context-free requests to a context.
type ctxDoer struct {
	ctx context.Context
	c   *http.Client
}

func (d ctxDoer) Do(r *http.Request) (*http.Response, error) { return d.c.Do(r.WithContext(d.ctx)) }

// bot returns the client bound to ctx, so every Bot API call ends with it.
func (a *Adapter) bot(ctx context.Context) *tgbotapi.BotAPI {
	b := *a.base
	b.Client = ctxDoer{ctx: ctx, c: a.http}
	return &b
}

// classify maps the library's errors for chatkit.Retry: a 429 waits as
// Telegram asked; any other 4xx (a chat that is gone, a message that is
// not modified, a query answered already) cannot be fixed by retrying.
func classify(err error) error {
	if err == nil {
		return nil
	}
	var te *tgbotapi.Error
	if errors.As(err, &te) {
		switch {
		case te.Code == http.StatusTooManyRequests || te.RetryAfter > 0:
			return &chatkit.RetryAfter{Wait: time.Duration(te.RetryAfter) * time.Second, Err: err}
		case te.Code >= 400 && te.Code < 500:
			return chatkit.Permanent(fmt.Errorf("telegram refused (%d): %w", te.Code, err))
		}
	}
	return err
}

// call makes one Bot API request, retried as chatkit.Retry does.
func (a *Adapter) call(ctx context.Context, what string, c tgbotapi.Chattable) (tgbotapi.Message, error) {
	return chatkit.Retry(ctx, a.log, what, func(ctx context.Context) (tgbotapi.Message, error) {
		m, err := a.bot(ctx).Send(c)
		return m, classify(err)
	})
}

// answer answers a callback query (once; a failure is logged, not retried
// for long: Telegram forgets a query after a while).
func (a *Adapter) answer(ctx context.Context, id, text string, alert bool) {
	cb := tgbotapi.NewCallback(id, text)
	cb.ShowAlert = alert
	_, err := chatkit.Retry(ctx, a.log, "answer callback", func(ctx context.Context) (struct{}, error) {
		_, err := a.bot(ctx).Request(cb)
		return struct{}{}, classify(err)
	})
	if err != nil {
		a.log.WarnContext(ctx, "answer callback", "err", err)
	}
}

func parseChat(s string) (int64, error) {
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return 0, chatkit.Permanent(fmt.Errorf("not a Telegram chat id: %q", s))
	}
	return id, nil
}

func cardRef(chat int64, msg int) string { return fmt.Sprintf("%d/%d", chat, msg) }

func parseRef(ref string) (int64, int, bool) {
	c, m, ok := strings.Cut(ref, "/")
	if !ok {
		return 0, 0, false
	}
	chat, err1 := strconv.ParseInt(c, 10, 64)
	msg, err2 := strconv.Atoi(m)
	return chat, msg, err1 == nil && err2 == nil
}
