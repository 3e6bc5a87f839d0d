package profile

import (
	"context"
	"encoding/json"
	"time"

	"github.com/steward-os/steward/session"
)

// Severity orders findings: info < warning < critical.
type Severity string

// Severities.
const (
	SeverityInfo     Severity = "info"
	SeverityWarning  Severity = "warning"
	SeverityCritical Severity = "critical"
)

// Finding is what a detector concluded from observations: something that
// may need a person. It is the contract between the profile (which
// raises findings) and whatever pages people about them (the alerts
// package implements Sink); neither imports the other's internals.
type Finding struct {
	Tenant session.TenantID `json:"tenant"`
	// Fingerprint is stable for the same condition on the same resource
	// (detector, series, resource), so a repeat is recognised as one.
	Fingerprint string   `json:"fingerprint"`
	Detector    string   `json:"detector"` // "threshold", "baseline", "cert_expiry", "disk_fill", …
	Severity    Severity `json:"severity"`
	// Resource is the id of the resource concerned ("web-2"), if any.
	Resource string `json:"resource,omitempty"`
	// Summary is a one-line text built only from the evidence, so it
	// passes the grounding check like any narration.
	Summary string `json:"summary"`
	// Evidence are the ledger facts (observations recorded verbatim)
	// the finding rests on, oldest first.
	Evidence []int64 `json:"evidence,omitempty"`
	// Fix, when set, is a suggested remedy: made an ordinary proposal,
	// never run without the confirmation its level needs.
	Fix *Fix `json:"fix,omitempty"`
	// Resolved says the condition no longer holds.
	Resolved bool      `json:"resolved,omitempty"`
	At       time.Time `json:"at"`
}

// Fix is a suggested tool call.
type Fix struct {
	Tool session.ToolID  `json:"tool"`
	Args json.RawMessage `json:"args"`
}

// Sink receives findings as they are raised and resolved. Raise must be
// idempotent on (Tenant, Fingerprint, Resolved): the refresher may raise
// the same condition on every pass.
type Sink interface {
	Raise(ctx context.Context, f Finding) error
}
