package chatkit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"slices"
	"strings"

	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// MaxWebhookBody bounds a platform webhook request's body.
const MaxWebhookBody = 1 << 20

// Webhook is what a platform's webhook endpoint takes, and how it proves
// a request is the platform's.
type Webhook struct {
	// Off, when set, says why the bot takes no webhook requests: every
	// request is answered 404 not_found with it.
	Off string
	// Paths are the paths served, each without a trailing slash; nil is
	// the mount point itself (""). Any other path is 404 not_found.
	Paths []string
	// Secret checks the headers before the body is read (a shared
	// secret), Signed the body (a signature over it); each returns why
	// the request is not the platform's, or "". Either may be nil. A
	// refused request is audited and answered 401 bad_signature, Refusal.
	Secret  func(http.Header) string
	Signed  func(r *http.Request, body []byte) string
	Refusal string
	// Body names what a body is ("Telegram update"), for Decode.
	Body string
}

// Accept does what every webhook request meets first, in this order: the
// bot takes webhooks (Off), the path (Paths), POST, the secret, the body
// (at most MaxWebhookBody: 413 body_too_large, audited), the signature.
// It returns the path served and the body, or false when it has answered.
func (b *Bridge) Accept(w http.ResponseWriter, r *http.Request, h *Webhook) (string, []byte, bool) {
	path := strings.TrimSuffix(r.URL.Path, "/")
	if !b.admit(w, r, h, path) {
		return "", nil, false
	}
	body, ok := b.read(w, r)
	if !ok || (h.Signed != nil && b.refused(w, r, h, h.Signed(r, body))) {
		return "", nil, false
	}
	return path, body, true
}

// admit answers a request refused before its body is read, and reports
// whether the request was not.
func (b *Bridge) admit(w http.ResponseWriter, r *http.Request, h *Webhook, path string) bool {
	paths, where := h.Paths, strings.Join(h.Paths, " and ")
	if paths == nil {
		paths, where = []string{""}, "the mount point itself"
	}
	switch {
	case h.Off != "":
		httpjson.Error(w, http.StatusNotFound, session.CodeNotFound, h.Off)
	case !slices.Contains(paths, path):
		httpjson.Error(w, http.StatusNotFound, session.CodeNotFound, fmt.Sprintf("Nothing here: %s posts to %s only.", b.o.Platform, where))
	case r.Method != http.MethodPost:
		w.Header().Set("Allow", http.MethodPost)
		httpjson.Error(w, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "The webhook accepts POST only.")
	default:
		return h.Secret == nil || !b.refused(w, r, h, h.Secret(r.Header))
	}
	return false
}

// Decode accepts a webhook request (Accept) and decodes its body, JSON,
// into a T that valid accepts. Otherwise it has answered (a body that is
// not one is a BadRequest) and returns false. A body in which an object
// names a member twice, or two that differ only in case, is not one: T
// is a platform's type, which matches names case-insensitively
// (httpjson.CheckNames).
func Decode[T any](b *Bridge, w http.ResponseWriter, r *http.Request, h *Webhook, valid func(*T) bool) (*T, bool) {
	_, body, ok := b.Accept(w, r, h)
	if !ok {
		return nil, false
	}
	v := new(T)
	if err := httpjson.CheckNames(body); err != nil || json.Unmarshal(body, v) != nil || !valid(v) {
		detail := "malformed " + h.Body
		if errors.Is(err, httpjson.ErrAmbiguousName) {
			detail += ": " + err.Error()
		}
		b.BadRequest(w, r, detail, "The body is not a "+h.Body+".")
		return nil, false
	}
	return v, true
}

// refused answers 401 bad_signature and audits it when detail says why a
// request is not the platform's.
func (b *Bridge) refused(w http.ResponseWriter, r *http.Request, h *Webhook, detail string) bool {
	if detail == "" {
		return false
	}
	b.refuseFrom(r.Context(), guard.Client(r), session.CodeBadSignature, detail)
	httpjson.Error(w, http.StatusUnauthorized, session.CodeBadSignature, h.Refusal)
	return true
}

// read reads a webhook request's body, at most MaxWebhookBody bytes.
// When it cannot, it has answered (413 body_too_large, audited, or 400
// bad_request) and returns false.
func (b *Bridge) read(w http.ResponseWriter, r *http.Request) ([]byte, bool) {
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxWebhookBody))
	if err == nil {
		return body, true
	}
	var tooBig *http.MaxBytesError
	if errors.As(err, &tooBig) {
		b.refuseFrom(r.Context(), guard.Client(r), session.CodeBodyTooLarge, "webhook body over 1 MiB")
		httpjson.Error(w, http.StatusRequestEntityTooLarge, session.CodeBodyTooLarge, "The request body is larger than 1 MiB.")
		return nil, false
	}
	httpjson.Error(w, http.StatusBadRequest, session.CodeBadRequest, "The request body could not be read.")
	return nil, false
}

// BadRequest refuses a webhook request whose body is not what the
// platform sends: audited (detail), and answered 400 bad_request (msg).
func (b *Bridge) BadRequest(w http.ResponseWriter, r *http.Request, detail, msg string) {
	b.refuseFrom(r.Context(), guard.Client(r), session.CodeBadRequest, detail)
	httpjson.Error(w, http.StatusBadRequest, session.CodeBadRequest, msg)
}
