package storetest

import (
	"encoding/json"
	"errors"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var dialogueChecks = []check{
	{"NoneSavedIsZero", dialogueNone},
	{"SaveThenLoad", dialogueRoundTrip},
	{"StaleVersionConflicts", dialogueStale},
	{"SessionsAreSeparate", dialogueSeparate},
	{"ConcurrentSaveOneWins", dialogueConcurrent},
}

func dialogueRow(s session.SessionID, version int64, state string, i int) store.DialogueRow {
	return store.DialogueRow{Session: s, Version: version, State: json.RawMessage(state), Updated: at(i)}
}

func dialogueNone(t *testing.T, b store.Backend) {
	r := load(t, b.DialogueState, session.SessionID("s:acme:bob"))
	same(t, "empty state", r, store.DialogueRow{Session: "s:acme:bob"})
}

func dialogueRoundTrip(t *testing.T, b store.Backend) {
	v, err := b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 0, `{"pending":{"tool":"hosting.restart_server"}}`, 1))
	must(t, err)
	same(t, "version", v, int64(1))
	v, err = b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 1, `{"last":{"tool":"hosting.get_server"}}`, 2))
	must(t, err)
	same(t, "version", v, int64(2))
	r := load(t, b.DialogueState, session.SessionID("s:acme:bob"))
	same(t, "state", string(r.State), `{"last":{"tool":"hosting.get_server"}}`)
	same(t, "version", r.Version, int64(2))
	same(t, "updated", r.Updated.Equal(at(2)), true)
}

func dialogueStale(t *testing.T, b store.Backend) {
	_, err := b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 0, `{}`, 1))
	must(t, err)
	_, err = b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 0, `{"a":1}`, 2))
	wantErr(t, err, store.ErrConflict)
	_, err = b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 7, `{"a":1}`, 2))
	wantErr(t, err, store.ErrConflict)
	r := load(t, b.DialogueState, session.SessionID("s:acme:bob"))
	same(t, "state kept", string(r.State), `{}`)
}

func dialogueSeparate(t *testing.T, b store.Backend) {
	_, err := b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 0, `{"who":"bob"}`, 1))
	must(t, err)
	_, err = b.SaveDialogue(t.Context(), dialogueRow("s:globex:bob", 0, `{"who":"globex bob"}`, 1))
	must(t, err)
	same(t, "acme", string(load(t, b.DialogueState, session.SessionID("s:acme:bob")).State), `{"who":"bob"}`)
	same(t, "globex", string(load(t, b.DialogueState, session.SessionID("s:globex:bob")).State), `{"who":"globex bob"}`)
}

func dialogueConcurrent(t *testing.T, b store.Backend) {
	_, err := b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 0, `{}`, 1))
	must(t, err)
	exactlyOne(t, func(i int) (bool, error) {
		_, err := b.SaveDialogue(t.Context(), dialogueRow("s:acme:bob", 1, `{"n":1}`, 2))
		if errors.Is(err, store.ErrConflict) {
			return false, nil
		}
		return err == nil, err
	})
}
