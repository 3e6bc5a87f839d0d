// Package api is the HTTP API channel: JSON over HTTP with bearer tokens.
//
// Contract. Every request body is bounded, declared as JSON or not at
// all (Content-Type parsed as a media type), and decoded strictly
// (unknown fields — names match exactly —, a name given twice, trailing
// data and wrong types are refused); every refusal is answered with
// {"error": {"code", "message"}} and a stable code, and is audited with
// the client's address (guard.Client). Turn outcomes are {"turn_id", "replies": [...]}, where a reply is
// a text, a proposal card or an error. The API never shows a stack trace.
// Routes: POST /v1/messages, POST /v1/proposals/{id}, POST /v1/classify,
// GET /v1/tasks, POST /v1/tasks/{id}/cancel, GET /v1/sessions/{id}/events,
// POST|GET /v1/links, DELETE /v1/links/{channel}/{account}, GET /healthz,
// GET /readyz.
package api

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// Name of the channel in addresses and audit records.
const Name session.ChannelID = "api"

// Options configure the API.
type Options struct {
	MaxBodyBytes int64
	Log          *slog.Logger
}

// API serves the HTTP API.
type API struct {
	core  channels.Core
	dir   session.Directory
	opt   Options
	ready atomic.Bool
	mux   *http.ServeMux
	// stop ends long polls and event streams when the server shuts down.
	stop     chan struct{}
	stopOnce sync.Once
}

// New returns the API handler. Call SetReady once extensions are loaded.
func New(core channels.Core, dir session.Directory, opt Options) *API {
	if opt.MaxBodyBytes <= 0 {
		opt.MaxBodyBytes = 64 << 10
	}
	if opt.Log == nil {
		opt.Log = slog.New(slog.DiscardHandler)
	}
	a := &API{core: core, dir: dir, opt: opt, mux: http.NewServeMux(), stop: make(chan struct{})}
	a.mux.HandleFunc("POST /v1/messages", a.authed(a.messages))
	a.mux.HandleFunc("POST /v1/proposals/{id}", a.authed(a.proposal))
	a.mux.HandleFunc("POST /v1/classify", a.authed(a.classify))
	a.mux.HandleFunc("GET /v1/tasks", a.authed(a.listTasks))
	a.mux.HandleFunc("POST /v1/tasks/{id}/cancel", a.authed(a.cancelTask))
	a.mux.HandleFunc("GET /v1/sessions/{id}/events", a.authed(a.events))
	a.mux.HandleFunc("POST /v1/links", a.authed(a.linkCode))
	a.mux.HandleFunc("GET /v1/links", a.authed(a.links))
	a.mux.HandleFunc("DELETE /v1/links/{channel}/{account}", a.authed(a.unlink))
	a.mux.HandleFunc("GET /healthz", func(w http.ResponseWriter, r *http.Request) {
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ok"})
	})
	a.mux.HandleFunc("GET /readyz", func(w http.ResponseWriter, r *http.Request) {
		if !a.ready.Load() {
			httpjson.Write(w, http.StatusServiceUnavailable, map[string]string{"status": "starting"})
			return
		}
		httpjson.Write(w, http.StatusOK, map[string]string{"status": "ready"})
	})
	return a
}

// Capabilities of the API channel: no buttons; decisions are explicit calls.
func (a *API) Capabilities() channels.Capabilities {
	return channels.Capabilities{MaxText: session.MaxTextLen}
}

// SetReady marks the gateway ready (or not) for /readyz.
func (a *API) SetReady(v bool) { a.ready.Store(v) }

// ServeHTTP implements http.Handler; unknown routes and methods get JSON errors.
func (a *API) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if _, pattern := a.mux.Handler(r); pattern == "" {
		// Distinguish a wrong method from an unknown path.
		probe := r.Clone(r.Context())
		var allow []string
		for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodDelete} {
			probe.Method = m
			if _, p := a.mux.Handler(probe); p != "" && m != r.Method {
				allow = append(allow, m)
			}
		}
		if len(allow) > 0 {
			w.Header().Set("Allow", strings.Join(allow, ", "))
			a.fail(w, r, nil, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, fmt.Sprintf("%s is not allowed here; use %s.", r.Method, strings.Join(allow, " or ")))
			return
		}
		a.fail(w, r, nil, http.StatusNotFound, session.CodeNotFound, "No such endpoint.")
		return
	}
	a.mux.ServeHTTP(w, r) // sets the path values the handlers read
}

type authedHandler func(w http.ResponseWriter, r *http.Request, actor session.Actor)

func (a *API) authed(h authedHandler) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		auth := r.Header.Get("Authorization")
		token, ok := strings.CutPrefix(auth, "Bearer ")
		if !ok || strings.TrimSpace(token) == "" {
			a.fail(w, r, nil, http.StatusUnauthorized, session.CodeUnauthenticated, "Send your token as \"Authorization: Bearer <token>\".")
			return
		}
		actor, ok := a.dir.Authenticate(r.Context(), strings.TrimSpace(token))
		if !ok {
			a.fail(w, r, nil, http.StatusUnauthorized, session.CodeUnauthenticated, "The token is not valid.")
			return
		}
		h(w, r, actor)
	}
}

// decode reads a bounded, strictly-typed JSON object into v.
func (a *API) decode(w http.ResponseWriter, r *http.Request, actor *session.Actor, v any) bool {
	if !jsonType(r.Header.Get("Content-Type")) {
		a.fail(w, r, actor, http.StatusUnsupportedMediaType, session.CodeUnsupportedMedia, "Send a JSON body (Content-Type: application/json).")
		return false
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, a.opt.MaxBodyBytes))
	if err != nil {
		var mbe *http.MaxBytesError
		if errors.As(err, &mbe) {
			a.fail(w, r, actor, http.StatusRequestEntityTooLarge, session.CodeBodyTooLarge, fmt.Sprintf("The body is larger than %d bytes.", a.opt.MaxBodyBytes))
			return false
		}
		a.fail(w, r, actor, http.StatusBadRequest, session.CodeBadRequest, "The body could not be read.")
		return false
	}
	if code, msg := DecodeStrict(body, v); code != "" {
		a.fail(w, r, actor, http.StatusBadRequest, code, msg)
		return false
	}
	return true
}

// jsonType reports whether a request's Content-Type declares JSON: absent,
// or the media type application/json in any case, whose only parameter
// may be a charset of utf-8.
func jsonType(ct string) bool {
	if ct == "" {
		return true
	}
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil || mt != "application/json" {
		return false
	}
	for k, v := range params {
		if k != "charset" || !strings.EqualFold(v, "utf-8") {
			return false
		}
	}
	return true
}

// DecodeStrict decodes one JSON object into v, refusing unknown fields
// (names match exactly, so a case variant is unknown), a name given
// twice, wrong types and trailing data. It returns a stable code and a
// plain message naming the field on failure, or two empty strings.
func DecodeStrict(body []byte, v any) (code, msg string) {
	return httpjson.Strict(body, v, "body")
}

// MessageRequest is the body of POST /v1/messages.
type MessageRequest struct {
	Text string `json:"text"`
	// ID is an optional client-chosen id for the message (dedupe key).
	ID string `json:"id,omitempty"`
}

// DecisionRequest is the body of POST /v1/proposals/{id}.
type DecisionRequest struct {
	Decision string `json:"decision"`
	Phrase   string `json:"phrase,omitempty"`
	// Grant, on an accept at level 1–2: "once" (default), "session" or a
	// window such as "1h" (docs/approvals.md).
	Grant string `json:"grant,omitempty"`
	// ID is an optional client-chosen id (dedupe key): a retried decision
	// with the same id gets the first answer back.
	ID string `json:"id,omitempty"`
}

// ClassifyRequest is the body of POST /v1/classify.
type ClassifyRequest struct {
	Text string `json:"text"`
}

func (a *API) messages(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	var req MessageRequest
	if !a.decode(w, r, &actor, &req) {
		return
	}
	if strings.TrimSpace(req.Text) == "" {
		a.fail(w, r, &actor, http.StatusBadRequest, session.CodeBadRequest, "The field \"text\" is required.")
		return
	}
	a.turn(w, r, actor, session.Inbound{ID: req.ID, From: session.Address{Channel: Name, Account: string(actor.ID)}, Text: req.Text, At: time.Now()})
}

func (a *API) proposal(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	var req DecisionRequest
	if !a.decode(w, r, &actor, &req) {
		return
	}
	kind := session.ActionKind(req.Decision)
	if kind != session.ActionAccept && kind != session.ActionReject {
		a.fail(w, r, &actor, http.StatusBadRequest, session.CodeBadRequest, `The field "decision" must be "accept" or "reject".`)
		return
	}
	id := session.ProposalID(r.PathValue("id"))
	a.turn(w, r, actor, session.Inbound{ID: req.ID, From: session.Address{Channel: Name, Account: string(actor.ID)}, Action: &session.Action{Kind: kind, Proposal: id, Phrase: req.Phrase, Grant: req.Grant}, At: time.Now()})
}

func (a *API) classify(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	var req ClassifyRequest
	if !a.decode(w, r, &actor, &req) {
		return
	}
	c, err := a.core.Turns.Classify(r.Context(), actor, req.Text)
	if err != nil {
		code, msg := session.ErrorOf(err)
		a.fail(w, r, &actor, statusOf(code), code, msg)
		return
	}
	httpjson.Write(w, http.StatusOK, c)
}

func (a *API) listTasks(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	ts, err := a.core.Tasks.Tasks(r.Context(), actor)
	if err != nil {
		code, msg := session.ErrorOf(err)
		a.fail(w, r, &actor, statusOf(code), code, msg)
		return
	}
	if ts == nil {
		ts = []session.Task{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"tasks": ts})
}

func (a *API) cancelTask(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	t, err := a.core.Tasks.CancelTask(context.WithoutCancel(r.Context()), actor, session.TaskID(r.PathValue("id")))
	if err != nil {
		code, msg := session.ErrorOf(err)
		httpjson.Error(w, statusOf(code), code, msg) // the kernel audits refusals that matter
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"task": t})
}

func (a *API) linkCode(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	code, exp, err := a.core.Identity.LinkCode(r.Context(), actor)
	if err != nil {
		c, msg := session.ErrorOf(err)
		httpjson.Error(w, statusOf(c), c, msg)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"code": code, "expires_at": exp, "how": "send \"link " + code + "\" from the other app"})
}

func (a *API) links(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	ls, err := a.core.Identity.Links(r.Context(), actor)
	if err != nil {
		c, msg := session.ErrorOf(err)
		httpjson.Error(w, statusOf(c), c, msg)
		return
	}
	if ls == nil {
		ls = []session.Link{}
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"links": ls})
}

func (a *API) unlink(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	if err := a.core.Identity.Unlink(r.Context(), actor, session.ChannelID(r.PathValue("channel")), r.PathValue("account")); err != nil {
		c, msg := session.ErrorOf(err)
		httpjson.Error(w, statusOf(c), c, msg)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"unlinked": true})
}

func (a *API) turn(w http.ResponseWriter, r *http.Request, actor session.Actor, in session.Inbound) {
	// The turn runs to completion even if the client goes away: an
	// accepted request is never half-done because a connection dropped.
	ctx := context.WithoutCancel(r.Context())
	out, err := a.core.Turns.Handle(ctx, actor, in)
	if err != nil {
		a.opt.Log.ErrorContext(ctx, "turn failed", "err", err)
		httpjson.Error(w, http.StatusInternalServerError, session.CodeInternal, "Something went wrong on our side.")
		return
	}
	status := http.StatusOK
	if len(out.Parts) > 0 {
		if e, ok := out.Parts[len(out.Parts)-1].(*session.Error); ok && len(out.Parts) == 1 {
			status = statusOf(e.Code)
		}
	}
	httpjson.Write(w, status, out)
}

// statusOf maps a stable code to an HTTP status.
func statusOf(code string) int {
	switch code {
	case session.CodeBadRequest, session.CodeUnknownField, session.CodeLinkCodeInvalid:
		return http.StatusBadRequest
	case session.CodeUnauthenticated:
		return http.StatusUnauthorized
	case session.CodeForbidden, session.CodeSafetyCeiling, session.CodeNotYourProposal, session.CodeSelfApproval, session.CodeNotApprover:
		return http.StatusForbidden
	case session.CodeNotFound, session.CodeProposalNotFound, session.CodeTaskNotFound:
		return http.StatusNotFound
	case session.CodeProposalExpired, session.CodeProposalRejected, session.CodeAlreadyExecuted, session.CodeCoolingPeriod, session.CodeArgsTampered,
		session.CodeDuplicate, session.CodeInterrupted, session.CodeDependencyFailed, session.CodeTaskEnded,
		session.CodeCancelled, session.CodeTimedOut, session.CodeLinkConflict, "conflict", session.CodeKeyReused, session.CodeOutcomeUnknown, "not_applied",
		session.CodeQuotaExceeded, session.CodeNoApprover, session.CodeGrantRefused:
		return http.StatusConflict
	case session.CodeWrongDangerPhrase, session.CodeInvalidArguments, session.CodeUnknownTool, session.CodeInvalidPlan, "invalid_argument":
		return http.StatusUnprocessableEntity
	case session.CodeBodyTooLarge:
		return http.StatusRequestEntityTooLarge
	case session.CodeRateLimited, session.CodeModelBudget:
		return http.StatusTooManyRequests
	case session.CodeUnavailable:
		return http.StatusServiceUnavailable
	case session.CodeToolFailed:
		return http.StatusBadGateway
	case session.CodeInternal:
		return http.StatusInternalServerError
	}
	// Any other code (one an extension chose) is still a refusal.
	return http.StatusUnprocessableEntity
}

func (a *API) fail(w http.ResponseWriter, r *http.Request, actor *session.Actor, status int, code, msg string) {
	a.core.Turns.Refuse(r.Context(), session.Refusal{Actor: actor, Channel: Name, From: guard.Client(r), Code: code, Detail: r.Method + " " + r.URL.Path + ": " + msg})
	httpjson.Error(w, status, code, msg)
}
