package slack

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"

	"github.com/steward-os/steward/channels/internal/httpjson"
)

// ServeHTTP is the Events API and interactivity endpoint (mode "events"):
// "/events" and "/interactions" under the prefix it is mounted at.
func (a *Adapter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	path, body, ok := a.bridge.Accept(w, r, &a.hook)
	if !ok {
		return
	}
	retry := r.Header.Get("X-Slack-Retry-Num") != ""
	if path == "/events" {
		a.serveEvent(w, r, body, retry)
		return
	}
	a.serveInteraction(w, r, body)
}

// signed checks a request's signature (verify); it returns why the
// request is refused, or "".
func (a *Adapter) signed(r *http.Request, body []byte) string {
	if err := a.verify(r.Header, body); err != nil {
		return strings.TrimSuffix(r.URL.Path, "/") + ": " + err.Error()
	}
	return ""
}

// verify checks X-Slack-Signature with the library's verifier, which also
// refuses a timestamp more than five minutes from the wall clock.
func (a *Adapter) verify(h http.Header, body []byte) error {
	sv, err := slack.NewSecretsVerifier(h, a.o.SigningSecret)
	if err != nil {
		switch {
		case errors.Is(err, slack.ErrMissingHeaders):
			return errors.New("signature or timestamp header missing")
		case errors.Is(err, slack.ErrExpiredTimestamp):
			return errors.New("timestamp outside the five-minute window")
		}
		return errors.New("malformed signature or timestamp")
	}
	if _, err := sv.Write(body); err != nil {
		return errors.New("signature could not be computed")
	}
	if err := sv.Ensure(); err != nil {
		return errors.New("signature does not match")
	}
	return nil
}

func (a *Adapter) badRequest(w http.ResponseWriter, r *http.Request, detail string) {
	a.bridge.BadRequest(w, r, detail, "That is not a Slack request this endpoint understands: "+detail+".")
}

// knownInner reports whether the client library can read an inner event
// type.
func knownInner(t string) bool {
	if _, ok := slackevents.EventsAPIInnerEventMapping[slackevents.EventsAPIType(t)]; ok {
		return true
	}
	_, ok := slack.EventMapping[t]
	return ok
}

func (a *Adapter) serveEvent(w http.ResponseWriter, r *http.Request, body []byte, retry bool) {
	var outer struct {
		Type      string          `json:"type"`
		Challenge string          `json:"challenge"`
		EventID   string          `json:"event_id"`
		Event     json.RawMessage `json:"event"`
	}
	// Slack's types match names case-insensitively: a body naming a
	// member twice, or two that differ only in case, is refused whole.
	if err := httpjson.CheckNames(body); err != nil || json.Unmarshal(body, &outer) != nil || outer.Type == "" {
		a.badRequest(w, r, "the body is not a Slack event")
		return
	}
	switch outer.Type {
	case "url_verification":
		httpjson.Write(w, http.StatusOK, map[string]string{"challenge": outer.Challenge})
		return
	case "event_callback":
	default:
		w.WriteHeader(http.StatusOK) // app_rate_limited and the like: nothing to do
		return
	}
	var inner struct {
		Type string `json:"type"`
	}
	if outer.EventID == "" || len(bytes.TrimSpace(outer.Event)) == 0 || json.Unmarshal(outer.Event, &inner) != nil || inner.Type == "" {
		a.badRequest(w, r, "an event_callback needs an event_id and an event with a type")
		return
	}
	if !knownInner(inner.Type) {
		w.WriteHeader(http.StatusOK) // an event this app does not handle
		return
	}
	ev, err := slackevents.ParseEvent(body, slackevents.OptionNoVerifyToken())
	if err != nil {
		a.badRequest(w, r, "the "+inner.Type+" event could not be read")
		return
	}
	a.answerWithin(w, r, func(ctx context.Context) { a.onEvent(ctx, outer.EventID, ev.InnerEvent, retry) })
}

func (a *Adapter) serveInteraction(w http.ResponseWriter, r *http.Request, body []byte) {
	form, err := url.ParseQuery(string(body))
	payload := form.Get("payload")
	if err != nil || payload == "" {
		a.badRequest(w, r, "an interaction is a form with a payload field")
		return
	}
	var ic slack.InteractionCallback
	if err := httpjson.CheckNames([]byte(payload)); err != nil || json.Unmarshal([]byte(payload), &ic) != nil || ic.Type == "" {
		a.badRequest(w, r, "the payload is not a Slack interaction")
		return
	}
	if ic.Type != slack.InteractionTypeBlockActions {
		w.WriteHeader(http.StatusOK)
		return
	}
	if ic.User.ID == "" || len(ic.ActionCallback.BlockActions) == 0 {
		a.badRequest(w, r, "a block_actions payload needs a user and an action")
		return
	}
	// Slack does not retry interactions; a redelivered one (same
	// trigger_id) gets the kernel's stored outcome.
	a.answerWithin(w, r, func(ctx context.Context) { a.onAction(ctx, ic, false) })
}

// answerWithin runs fn in the background and answers 200 when it ends or
// after ackWait, whichever is first, so Slack hears back within its 3 s;
// a slower turn posts its reply when ready.
func (a *Adapter) answerWithin(w http.ResponseWriter, r *http.Request, fn func(context.Context)) {
	finished := make(chan struct{})
	a.spawn(func() {
		defer close(finished)
		ctx, cancel := detached(r.Context())
		defer cancel()
		fn(ctx)
	})
	t := time.NewTimer(a.ackWait)
	defer t.Stop()
	select {
	case <-finished:
	case <-t.C:
		a.log.InfoContext(r.Context(), "answered before the turn ended; it finishes in the background", "path", r.URL.Path)
	}
	w.WriteHeader(http.StatusOK)
}
