package telegram

import (
	"context"
	"crypto/subtle"
	"net/http"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// ServeHTTP is the webhook endpoint (mounted at /hooks/telegram/<name>,
// prefix stripped, so it serves "/"). It checks the secret, decodes the
// update, handles it and answers 200; 503 when handling failed for a
// reason a redelivery can fix (Telegram then retries).
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	u, ok := chatkit.Decode(a.bridge, w, r, &a.hook, func(u *tgbotapi.Update) bool { return u.UpdateID != 0 })
	if !ok {
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookTimeout)
	defer cancel()
	if err := a.handle(hctx, *u); err != nil && !chatkit.IsPermanent(err) {
		a.log.ErrorContext(ctx, "update not handled; Telegram will deliver it again", "update", u.UpdateID, "err", err)
		httpjson.Error(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The update could not be handled now; deliver it again.")
		return
	} else if err != nil {
		a.log.WarnContext(ctx, "update dropped", "update", u.UpdateID, "err", err)
	}
	httpjson.Write(w, http.StatusOK, struct{}{})
}

// checkSecret checks X-Telegram-Bot-Api-Secret-Token (in constant time).
func (a *Adapter) checkSecret(h http.Header) string {
	got := h.Get("X-Telegram-Bot-Api-Secret-Token")
	switch {
	case got == "":
		return "missing X-Telegram-Bot-Api-Secret-Token"
	case subtle.ConstantTimeCompare([]byte(got), []byte(a.o.Secret)) != 1:
		return "wrong X-Telegram-Bot-Api-Secret-Token"
	}
	return ""
}
