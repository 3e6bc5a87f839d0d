package telegram

import (
	"context"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/steward-os/steward/channels/chatkit"
	"github.com/steward-os/steward/session"
)

// MaxBody bounds a webhook request body.
const MaxBody = 1 << 20

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
		writeError(w, http.StatusNotFound, session.CodeNotFound, "Nothing here: the Telegram webhook is at the root of this path.")
		return
	case a.o.Mode != "webhook":
		writeError(w, http.StatusNotFound, session.CodeNotFound, "This bot receives updates by polling; its webhook is off.")
		return
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		writeError(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "The webhook accepts POST only.")
		return
	}
	got := r.Header.Get("X-Telegram-Bot-Api-Secret-Token")
	if got == "" || subtle.ConstantTimeCompare([]byte(got), []byte(a.o.Secret)) != 1 {
		detail := "wrong X-Telegram-Bot-Api-Secret-Token"
		if got == "" {
			detail = "missing X-Telegram-Bot-Api-Secret-Token"
		}
		a.bridge.Refuse(ctx, session.CodeBadSignature, detail)
		writeError(w, http.StatusUnauthorized, session.CodeBadSignature, "The request does not carry this bot's webhook secret.")
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
	if err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			a.bridge.Refuse(ctx, session.CodeBodyTooLarge, "webhook body over 1 MiB")
			writeError(w, http.StatusRequestEntityTooLarge, session.CodeBodyTooLarge, "The update is larger than 1 MiB.")
			return
		}
		writeError(w, http.StatusBadRequest, session.CodeBadRequest, "The update could not be read.")
		return
	}
	var u tgbotapi.Update
	if err := json.Unmarshal(body, &u); err != nil || u.UpdateID == 0 {
		a.bridge.Refuse(ctx, session.CodeBadRequest, "malformed webhook update")
		writeError(w, http.StatusBadRequest, session.CodeBadRequest, "The body is not a Telegram update.")
		return
	}
	hctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), webhookTimeout)
	defer cancel()
	if err := a.handle(hctx, u); err != nil && !chatkit.IsPermanent(err) {
		a.log.ErrorContext(ctx, "update not handled; Telegram will deliver it again", "update", u.UpdateID, "err", err)
		writeError(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The update could not be handled now; deliver it again.")
		return
	} else if err != nil {
		a.log.WarnContext(ctx, "update dropped", "update", u.UpdateID, "err", err)
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte("{}\n"))
}

func writeError(w http.ResponseWriter, status int, code, msg string) {
	body, _ := json.Marshal(map[string]any{"error": map[string]string{"code": code, "message": msg}})
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(append(body, '\n'))
}
