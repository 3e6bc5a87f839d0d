package chatkit

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"

	"github.com/steward-os/steward/session"
)

// MaxWebhookBody bounds a platform webhook request's body.
const MaxWebhookBody = 1 << 20

// WriteJSON answers a webhook request with a JSON body.
func WriteJSON(w http.ResponseWriter, status int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, b = http.StatusInternalServerError, []byte(`{"error":{"code":"internal","message":"Something went wrong on our side."}}`)
	}
	b = append(b, '\n')
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// WriteError answers {"error":{"code":…,"message":…}}, the form of every
// refusal the gateway makes over HTTP.
func WriteError(w http.ResponseWriter, status int, code, msg string) {
	WriteJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

// ReadWebhook reads a webhook request's body, at most MaxWebhookBody
// bytes. When it cannot, it has answered (413 body_too_large, audited, or
// 400 bad_request) and returns false.
func (b *Bridge) ReadWebhook(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err == nil {
		return body, true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		b.Refuse(r.Context(), session.CodeBodyTooLarge, "webhook body over 1 MiB")
		WriteError(w, http.StatusRequestEntityTooLarge, session.CodeBodyTooLarge, "The request body is larger than 1 MiB.")
		return nil, false
	}
	WriteError(w, http.StatusBadRequest, session.CodeBadRequest, "The request body could not be read.")
	return nil, false
}
