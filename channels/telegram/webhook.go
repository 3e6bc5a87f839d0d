package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/session"
)

// webhookTimeout bounds the handling of one webhook update; handling is
// detached from the request, so a dropped connection does not cut a turn.
const webhookTimeout = 2 * time.Minute

// ServeHTTP is the webhook endpoint (mounted at /hooks/telegram/<name>,
// prefix stripped, so it serves "/"). It checks the secret, decodes the
// update, handles it and answers 200; 503 when handling failed for a
// reason a redelivery can fix (Telegram then retries).
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	ctx := r.Context()
	switch {
	case r.URL.Path != "/" && r.URL.Path != "":
		chatkit.WriteError(w, http.StatusNotFound, session.CodeNotFound, "Nothing here: the Telegram webhook is at the root of this path.")
		return
	case a.o.Mode != "webhook":
		chatkit.WriteError(w, http.StatusNotFound, session.CodeNotFound, "This bot receives updates by polling; its webhook is off.")
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		chatkit.WriteError(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "The webhook accepts POST only.")
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.o.Secret)) != 1 {
		detail := "wrong X-Telegram-Bot-Api-Secret-Token"
		if got == "" {
			detail = "missing X-Telegram-Bot-Api-Secret-Token"
		}
		a.bridge.Refuse(ctx, session.CodeBadSignature, detail)
		chatkit.WriteError(w, http.StatusUnauthorized, session.CodeBadSignature, "The request does not carry this bot's webhook secret.")
		return
	}
	body, ok := a.bridge.ReadWebhook(w, r)
	if !ok {
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
		a.bridge.Refuse(ctx, session.CodeBadRequest, "malformed webhook update")
		chatkit.WriteError(w, http.StatusBadRequest, session.CodeBadRequest, "The body is not a Telegram update.")
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookTimeout)
	defer cancel()
	if err := a.handle(hctx, u); err != nil && !chatkit.IsPermanent(err) {
		a.log.ErrorContext(ctx, "update not handled; Telegram will deliver it again", "update", u.UpdateID, "err", err)
		chatkit.WriteError(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The update could not be handled now; deliver it again.")
		return
	} else if err != nil {
		a.log.WarnContext(ctx, "update dropped", "update", u.UpdateID, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}\n"))
}
