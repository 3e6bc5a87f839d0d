package alerts

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"sort"
	"strings"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Refuser records a refused request in the audit trail.
type Refuser interface {
	Refuse(ctx context.Context, r session.Refusal)
}

// HTTP serves the alert endpoints: the Alertmanager receiver (mounted at
// /hooks/alertmanager, one path per tenant) and the API (/v1/alerts).
type HTTP struct {
	s      *Service
	tokens map[session.TenantID][32]byte // sha256 of each tenant's receiver token
	refuse Refuser
}

// NewHTTP returns the endpoints; tokens are the tenants' receiver tokens.
func NewHTTP(s *Service, tokens map[session.TenantID]string, r Refuser) *HTTP {
	h := &HTTP{s: s, tokens: map[session.TenantID][32]byte{}, refuse: r}
	for t, tok := range tokens {
		if tok != "" {
			h.tokens[t] = sha256.Sum256([]byte(tok))
		}
	}
	return h
}

// refusal answers a request with a stable code and audits it; nothing
// was changed.
func (h *HTTP) refusal(w http.ResponseWriter, r *http.Request, who *session.Actor, status int, code, msg string) {
	h.refuse.Refuse(r.Context(), session.Refusal{Actor: who, Channel: "alerts", From: r.RemoteAddr, Code: code, Detail: r.Method + " " + r.URL.Path + ": " + msg})
	channels.WriteError(w, status, code, msg)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// body reads a JSON body within the bound; a refusal has been written
// when it returns false.
func (h *HTTP) body(w http.ResponseWriter, r *http.Request, who *session.Actor) ([]byte, bool) {
	if r.Method != http.MethodPost {
		h.refusal(w, r, who, http.StatusMethodNotAllowed, session.CodeMethodNotAllowed, "Use POST.")
		return nil, false
	}
	if mt, _, err := mime.ParseMediaType(r.Header.Get("Content-Type")); err != nil || mt != "application/json" {
		h.refusal(w, r, who, http.StatusUnsupportedMediaType, session.CodeUnsupportedMedia, "Send application/json.")
		return nil, false
	}
	b, err := io.ReadAll(http.MaxBytesReader(w, r.Body, h.s.cfg.MaxBodyBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		h.refusal(w, r, who, http.StatusRequestEntityTooLarge, session.CodeBodyTooLarge, fmt.Sprintf("The body is over %d bytes.", h.s.cfg.MaxBodyBytes))
		return nil, false
	case err != nil:
		h.refusal(w, r, who, http.StatusBadRequest, session.CodeBadRequest, "The body could not be read.")
		return nil, false
	}
	return b, true
}

func bearer(r *http.Request) string {
	v, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok {
		return ""
	}
	return strings.TrimSpace(v)
}

// amPayload is Alertmanager's webhook body, version 4.
type amPayload struct {
	Version  string    `json:"version"`
	GroupKey string    `json:"groupKey"`
	Status   string    `json:"status"`
	Receiver string    `json:"receiver"`
	Alerts   []amAlert `json:"alerts"`
}

type amAlert struct {
	Status      string            `json:"status"`
	Labels      map[string]string `json:"labels"`
	Annotations map[string]string `json:"annotations"`
	StartsAt    time.Time         `json:"startsAt"`
	EndsAt      time.Time         `json:"endsAt"`
	Fingerprint string            `json:"fingerprint"`
}

// Alertmanager serves POST /<tenant>: the tenant's bearer token, then a
// version 4 payload; each alert is received with its fingerprint, status
// and start as the idempotency key, so retries and resends change nothing.
func (h *HTTP) Alertmanager(w http.ResponseWriter, r *http.Request) {
	tenant := session.TenantID(strings.Trim(r.URL.Path, "/"))
	want, ok := h.tokens[tenant]
	got := sha256.Sum256([]byte(bearer(r)))
	who := &session.Actor{ID: "alertmanager", Tenant: tenant}
	if !ok {
		who.Tenant = "_system"
	}
	if !ok || subtle.ConstantTimeCompare(want[:], got[:]) != 1 {
		h.refusal(w, r, who, http.StatusUnauthorized, session.CodeUnauthenticated, "A valid bearer token is required.")
		return
	}
	b, ok := h.body(w, r, who)
	if !ok {
		return
	}
	var p amPayload
	if err := json.Unmarshal(b, &p); err != nil {
		h.refusal(w, r, who, http.StatusBadRequest, session.CodeBadRequest, "The body is not an Alertmanager payload.")
		return
	}
	if p.Version != "4" {
		h.refusal(w, r, who, http.StatusBadRequest, session.CodeUnsupportedVersion, fmt.Sprintf("Payload version %q is not supported; send version 4.", p.Version))
		return
	}
	alerts, err := amAlerts(tenant, p)
	if err != nil {
		h.refusal(w, r, who, http.StatusBadRequest, session.CodeBadRequest, err.Error())
		return
	}
	h.receive(w, r, alerts)
}

func amAlerts(tenant session.TenantID, p amPayload) ([]Alert, error) {
	out := make([]Alert, 0, len(p.Alerts))
	for i, a := range p.Alerts {
		if (a.Status != "firing" && a.Status != "resolved") || a.Labels["alertname"] == "" {
			return nil, fmt.Errorf("alerts[%d]: needs status firing or resolved and an alertname label", i)
		}
		fp := a.Fingerprint
		if fp == "" {
			fp = labelsKey(a.Labels)
		}
		title := a.Labels["alertname"]
		if inst := a.Labels["instance"]; inst != "" {
			title += " on " + inst
		}
		summary := a.Annotations["summary"]
		if summary == "" {
			summary = a.Annotations["description"]
		}
		out = append(out, Alert{Tenant: tenant, Source: "alertmanager", Fingerprint: fp, Severity: a.Labels["severity"], Title: title,
			Summary: summary, Resource: a.Labels["instance"], Labels: a.Labels, Resolved: a.Status == "resolved",
			Receipt: fp + "/" + a.Status + "/" + a.StartsAt.UTC().Format(time.RFC3339Nano), By: "alertmanager"})
	}
	return out, nil
}

// labelsKey is a fingerprint from labels, for a sender that gives none.
func labelsKey(l map[string]string) string {
	keys := make([]string, 0, len(l))
	for k := range l {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	hsh := sha256.New()
	for _, k := range keys {
		fmt.Fprintf(hsh, "%s=%s\x00", k, l[k])
	}
	return fmt.Sprintf("%x", hsh.Sum(nil))[:16]
}

// receive applies alerts in order and answers with what each did. A
// failure to store answers 503, so the sender retries (nothing applied
// twice: every alert carries its key).
func (h *HTTP) receive(w http.ResponseWriter, r *http.Request, alerts []Alert) {
	outs := make([]Outcome, 0, len(alerts))
	for _, a := range alerts {
		o, err := h.s.Receive(r.Context(), a)
		if err != nil {
			if code, msg := session.ErrorOf(err); code != session.CodeInternal {
				channels.WriteError(w, http.StatusBadRequest, code, msg)
				return
			}
			channels.WriteError(w, http.StatusServiceUnavailable, session.CodeUnavailable, "The alert could not be stored; retry.")
			return
		}
		outs = append(outs, o)
	}
	writeJSON(w, http.StatusOK, map[string]any{"alerts": outs})
}
