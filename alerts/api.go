package alerts

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

// apiAlert is the body of POST /v1/alerts.
type apiAlert struct {
	Fingerprint string            `json:"fingerprint"`
	Severity    string            `json:"severity"`
	Title       string            `json:"title"`
	Summary     string            `json:"summary"`
	Resource    string            `json:"resource"`
	Labels      map[string]string `json:"labels"`
	Resolved    bool              `json:"resolved"`
	// ID is the sender's idempotency key: the same id again changes
	// nothing.
	ID string `json:"id"`
}

// API serves /v1/alerts for an actor with a bearer token: GET lists the
// tenant's alerts (?open=1 only the open ones), POST reports one, POST
// /<id>/<act> acts on one (ack, unack, snooze with {"for":"30m"},
// resolve, escalate).
func (h *HTTP) API(w http.ResponseWriter, r *http.Request) {
	a, ok := h.s.p.Directory.Authenticate(r.Context(), bearer(r))
	if !ok {
		h.refusal(w, r, nil, http.StatusUnauthorized, session.CodeUnauthenticated, "A valid bearer token is required.")
		return
	}
	path := strings.Trim(r.URL.Path, "/")
	switch {
	case path == "" && r.Method == http.MethodGet:
		cards, err := h.s.Episodes(r.Context(), a.Tenant, r.URL.Query().Get("open") == "1")
		if err != nil {
			h.fail(w, err)
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"alerts": cards})
	case path == "":
		h.report(w, r, a)
	default:
		h.act(w, r, a, path)
	}
}

func (h *HTTP) fail(w http.ResponseWriter, err error) {
	code, msg := session.ErrorOf(err)
	status := http.StatusBadRequest
	switch code {
	case session.CodeInternal:
		status = http.StatusInternalServerError
	case session.CodeNotFound:
		status = http.StatusNotFound
	case session.CodeAlertClosed:
		status = http.StatusConflict
	case session.CodeUnavailable:
		status = http.StatusServiceUnavailable
	}
	writeJSON(w, status, map[string]any{"error": map[string]string{"code": code, "message": msg}})
}

func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	if err := d.Decode(v); err != nil {
		return err
	}
	if d.More() {
		return badRequest("One JSON object, please.")
	}
	return nil
}

func (h *HTTP) report(w http.ResponseWriter, r *http.Request, a session.Actor) {
	b, ok := h.body(w, r, &a)
	if !ok {
		return
	}
	var in apiAlert
	if err := strictJSON(b, &in); err != nil || in.Fingerprint == "" || in.Title == "" {
		h.refusal(w, r, &a, http.StatusBadRequest, session.CodeBadRequest, "Send {\"fingerprint\":…,\"title\":…} with optional severity, summary, resource, labels, resolved and id.")
		return
	}
	h.receive(w, r, []Alert{{Tenant: a.Tenant, Source: "api", Fingerprint: in.Fingerprint, Severity: in.Severity, Title: in.Title,
		Summary: in.Summary, Resource: in.Resource, Labels: in.Labels, Resolved: in.Resolved, Receipt: in.ID, By: a.ID}})
}

func (h *HTTP) act(w http.ResponseWriter, r *http.Request, a session.Actor, path string) {
	id, kind, ok := strings.Cut(path, "/")
	if !ok || strings.Contains(kind, "/") {
		h.refusal(w, r, &a, http.StatusNotFound, session.CodeNotFound, "Use POST /v1/alerts/<id>/<ack|unack|snooze|resolve|escalate>.")
		return
	}
	b, ok := h.body(w, r, &a)
	if !ok {
		return
	}
	var in struct {
		For string `json:"for"`
	}
	if len(bytes.TrimSpace(b)) > 0 {
		if err := strictJSON(b, &in); err != nil {
			h.refusal(w, r, &a, http.StatusBadRequest, session.CodeBadRequest, "Send {} or {\"for\":\"30m\"}.")
			return
		}
	}
	act := session.AlertAct{Kind: session.AlertActKind(kind), Alert: session.AlertID(id), From: session.Address{Channel: "api"}}
	if in.For != "" {
		d, err := time.ParseDuration(in.For)
		if err != nil {
			h.refusal(w, r, &a, http.StatusBadRequest, session.CodeBadRequest, "for: want a duration such as \"30m\".")
			return
		}
		act.For = d
	}
	card, err := h.s.Act(r.Context(), a, act)
	if err != nil {
		h.fail(w, err)
		return
	}
	writeJSON(w, http.StatusOK, map[string]any{"alert": card})
}
