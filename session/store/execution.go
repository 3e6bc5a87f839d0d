package store

import (
	"encoding/json"
	"errors"
	"time"

	"github.com/steward-os/steward/session"
)

// ErrKeyReused is returned when an inbound dedupe key is presented again
// with a different request than the one it was first claimed for.
var ErrKeyReused = errors.New("store: dedupe key bound to another request")

// Execution is the claim of one state-changing dispatch (level ≥ 1),
// taken before its handler runs: what runs, for whom, and, once settled,
// the fact that records its outcome. Key is the dispatch's identity (the
// request it answers and the step, "<identity>/<step>"); Inbound is the
// dedupe key of the turn that dispatched it ("" when it had none).
type Execution struct {
	Key     string `json:"key"`
	Inbound string `json:"inbound,omitempty"`
	// Who it runs for; their session is told its outcome.
	Tenant  session.TenantID  `json:"tenant"`
	Actor   session.ActorID   `json:"actor"`
	Session session.SessionID `json:"session"`
	// What runs: a step of a turn (and of a plan), a tool at its safety
	// level with its canonical arguments.
	Turn  session.TurnID  `json:"turn"`
	Chain session.ChainID `json:"chain,omitempty"`
	Step  session.StepID  `json:"step"`
	Tool  session.ToolID  `json:"tool"`
	Args  json.RawMessage `json:"args"`
	Level int             `json:"level"`
	// When it was claimed, and the ledger id of its outcome (0 while the
	// claim is unsettled).
	ClaimedAt time.Time `json:"claimed_at"`
	Fact      int64     `json:"fact,omitempty"`
}

// Audited builds the audit entries committed together with a fact, given
// the fact's id (the "result" record that names it). It must depend on
// nothing but its argument: a back-end may call it more than once.
type Audited func(fact int64) []AuditEntry
