// Package dialogue is the kernel's dialogue state: what a session (an
// actor in a tenant, on every channel) was last asked, asked for and
// offered, so that the next turn can be read as a follow-up
// (docs/conversation.md).
//
// Contract. The state is persisted through store.Dialogue after every turn
// that changes it, so it is the same on every channel of the actor and
// survives a restart. It holds three things: the pending question (the
// request that asked it, the tool it was for and the values it offered);
// the last request that planned completely (its text and first tool), for
// ellipsis ("what about web-2?", "and db-1?", "same for analytics"); and
// the proposals made in the session, for confirmation words ("yes",
// "reject that"). Follow reads a turn's text against that state and says
// what the turn is: an answer to the pending question (the request to plan
// is the original one with the answer added), a follow-up (the last
// request with one name replaced), a confirmation word, a greeting or
// thanks, or a new request. It never runs anything: the engine plans the
// request it returns through every usual stage. The package knows no
// domain word: names come from the turn's resources and members, verbs
// from the catalog.
package dialogue

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// State is one session's dialogue state.
type State struct {
	Pending   *Pending   `json:"pending,omitempty"`
	Last      *Request   `json:"last,omitempty"`
	Proposals []Proposal `json:"proposals,omitempty"`
}

// Pending is a question the kernel asked and has not had answered.
type Pending struct {
	Text     string    `json:"text"`     // the request that asked it
	Tool     string    `json:"tool"`     // the tool it was understood as
	Question string    `json:"question"` // what was asked
	Options  []string  `json:"options,omitempty"`
	At       time.Time `json:"at"`
}

// Request is the last request that planned completely.
type Request struct {
	Text string    `json:"text"`
	Tool string    `json:"tool"`
	At   time.Time `json:"at"`
}

// Proposal is a proposal made in the session.
type Proposal struct {
	ID    session.ProposalID `json:"id"`
	Tool  string             `json:"tool"`
	Level int                `json:"level"`
}

// maxProposals bounds the proposals the state remembers.
const maxProposals = 16

// pendingTTL is how long a question waits for its answer.
const pendingTTL = 30 * time.Minute

// Dialogue loads and saves sessions' states.
type Dialogue struct {
	st  store.Dialogue
	now func() time.Time
}

// New returns a Dialogue over a store; now nil means time.Now.
func New(st store.Dialogue, now func() time.Time) *Dialogue {
	if now == nil {
		now = time.Now
	}
	return &Dialogue{st: st, now: now}
}

// Session is a session's state as loaded, to be changed and saved.
type Session struct {
	ID      session.SessionID
	State   State
	version int64
	changed bool
}

// Load reads a session's state (empty when none was saved). A question
// older than pendingTTL is forgotten.
func (d *Dialogue) Load(ctx context.Context, id session.SessionID) (*Session, error) {
	row, err := d.st.DialogueState(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("dialogue: %w", err)
	}
	s := &Session{ID: id, version: row.Version}
	if len(row.State) > 0 {
		if err := json.Unmarshal(row.State, &s.State); err != nil {
			return nil, fmt.Errorf("dialogue: decode state: %w", err)
		}
	}
	if p := s.State.Pending; p != nil && d.now().Sub(p.At) > pendingTTL {
		s.State.Pending, s.changed = nil, true
	}
	return s, nil
}

// Save stores the session's state when it changed. When another turn of
// the same session saved in between, this turn's state wins (it is the
// newer turn's view), written over the version found.
func (d *Dialogue) Save(ctx context.Context, s *Session) error {
	if !s.changed {
		return nil
	}
	raw, err := json.Marshal(s.State)
	if err != nil {
		return fmt.Errorf("dialogue: encode state: %w", err)
	}
	for range 3 {
		v, err := d.st.SaveDialogue(ctx, store.DialogueRow{Session: s.ID, Version: s.version, State: raw, Updated: d.now().UTC()})
		if err == nil {
			s.version, s.changed = v, false
			return nil
		}
		if !errors.Is(err, store.ErrConflict) {
			return fmt.Errorf("dialogue: %w", err)
		}
		row, lerr := d.st.DialogueState(ctx, s.ID)
		if lerr != nil {
			return fmt.Errorf("dialogue: %w", lerr)
		}
		s.version = row.Version
	}
	return fmt.Errorf("dialogue: %w", store.ErrConflict)
}

// Asked records a question the turn asked about a request understood as
// tool (empty when no tool was understood: nothing is pending then).
func (d *Dialogue) Asked(s *Session, text, tool, question string) {
	s.State.Pending, s.changed = nil, true
	if tool == "" {
		return
	}
	s.State.Pending = &Pending{Text: text, Tool: tool, Question: question, Options: options(question), At: d.now().UTC()}
}

// Planned records a request that planned completely.
func (d *Dialogue) Planned(s *Session, text, tool string) {
	s.State.Pending = nil
	s.State.Last = &Request{Text: text, Tool: tool, At: d.now().UTC()}
	s.changed = true
}

// Drop forgets the pending question.
func (d *Dialogue) Drop(s *Session) {
	if s.State.Pending != nil {
		s.State.Pending, s.changed = nil, true
	}
}

// Proposed records a proposal made in the session.
func (d *Dialogue) Proposed(s *Session, p Proposal) {
	s.State.Proposals = append(s.State.Proposals, p)
	if n := len(s.State.Proposals); n > maxProposals {
		s.State.Proposals = s.State.Proposals[n-maxProposals:]
	}
	s.changed = true
}

// Forget removes proposals that are no longer pending.
func (d *Dialogue) Forget(s *Session, gone func(Proposal) bool) {
	kept := s.State.Proposals[:0]
	for _, p := range s.State.Proposals {
		if gone(p) {
			s.changed = true
			continue
		}
		kept = append(kept, p)
	}
	s.State.Proposals = kept
}
