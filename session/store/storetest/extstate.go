package storetest

import (
	"encoding/json"
	"testing"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

var extStateChecks = []check{
	{"GetPutDelete", statePutGetDelete},
	{"ListInKeyOrder", stateList},
	{"ScopedByExtTenantCollection", stateScoped},
	{"SeededOnceUntilUnmarked", stateSeeded},
	{"NoteIDsGrow", stateNotes},
	{"VersionPerExtension", stateVersion},
}

// slot names one value of extension state.
type slot struct {
	ext    string
	tenant session.TenantID
	coll   string
	key    string
}

// put writes a value to a slot.
func put(t *testing.T, b store.Backend, s slot, v string) {
	t.Helper()
	must(t, b.StatePut(t.Context(), s.ext, s.tenant, s.coll, s.key, json.RawMessage(v)))
}

// wantState checks a slot's value ("" for absent).
func wantState(t *testing.T, b store.Backend, s slot, want string) {
	t.Helper()
	v, ok, err := b.StateGet(t.Context(), s.ext, s.tenant, s.coll, s.key)
	must(t, err)
	same(t, "state "+s.ext+"/"+string(s.tenant)+"/"+s.coll+"/"+s.key, []any{string(v), ok}, []any{want, want != ""})
}

// statePutGetDelete: a value reads back as last put and is gone once
// deleted; deleting an absent value is no error.
func statePutGetDelete(t *testing.T, b store.Backend) {
	s := slot{"notes", "acme", "todo", "k1"}
	wantState(t, b, s, "")
	put(t, b, s, `{"v":1}`)
	wantState(t, b, s, `{"v":1}`)
	put(t, b, s, `{"v":2}`)
	wantState(t, b, s, `{"v":2}`)
	for range 2 {
		must(t, b.StateDelete(t.Context(), s.ext, s.tenant, s.coll, s.key))
		wantState(t, b, s, "")
	}
}

// stateList: StateList returns a collection's values in key order (byte
// order), and nothing for an empty collection.
func stateList(t *testing.T, b store.Backend) {
	for _, kv := range [][2]string{{"b", `"b"`}, {"a", `"a"`}, {"B", `"B"`}, {"a2", `"a2"`}} {
		put(t, b, slot{"notes", "acme", "todo", kv[0]}, kv[1])
	}
	got, err := b.StateList(t.Context(), "notes", "acme", "todo")
	must(t, err)
	same(t, "values", got, []json.RawMessage{json.RawMessage(`"B"`), json.RawMessage(`"a"`), json.RawMessage(`"a2"`), json.RawMessage(`"b"`)})
	got, err = b.StateList(t.Context(), "notes", "acme", "empty")
	must(t, err)
	same(t, "values of an empty collection", len(got), 0)
}

// stateScoped: the same collection and key under another extension,
// tenant or collection is another value, and listing sees only its own.
func stateScoped(t *testing.T, b store.Backend) {
	slots := []slot{{"notes", "acme", "todo", "k"}, {"tasks", "acme", "todo", "k"}, {"notes", "zeta", "todo", "k"}, {"notes", "acme", "done", "k"}}
	for i, s := range slots {
		put(t, b, s, string(rune('1'+i)))
	}
	must(t, b.StateDelete(t.Context(), "notes", "acme", "todo", "k"))
	for i, s := range slots[1:] {
		wantState(t, b, s, string(rune('2'+i)))
		got, err := b.StateList(t.Context(), s.ext, s.tenant, s.coll)
		must(t, err)
		same(t, "list", got, []json.RawMessage{json.RawMessage(string(rune('2' + i)))})
	}
}

// stateSeeded: MarkSeeded is true only for the first call per extension
// and tenant, until UnmarkSeeded (which is no error when not seeded).
func stateSeeded(t *testing.T, b store.Backend) {
	must(t, b.UnmarkSeeded(t.Context(), "notes", "acme"))
	for _, c := range []struct {
		ext    string
		tenant session.TenantID
		unmark bool // before marking
		want   bool
	}{
		{"notes", "acme", false, true},
		{"notes", "acme", false, false},
		{"notes", "zeta", false, true},
		{"tasks", "acme", false, true},
		{"notes", "acme", true, true},
		{"notes", "acme", false, false},
	} {
		if c.unmark {
			must(t, b.UnmarkSeeded(t.Context(), c.ext, c.tenant))
		}
		first, err := b.MarkSeeded(t.Context(), c.ext, c.tenant, at(1))
		must(t, err)
		same(t, "first seeding of "+c.ext+" for "+string(c.tenant), first, c.want)
	}
}

// stateNotes: DeliverNote returns growing ids.
func stateNotes(t *testing.T, b store.Backend) {
	var last int64
	for i, to := range []session.ActorID{"bob", "carol", "bob"} {
		id, err := b.DeliverNote(t.Context(), store.Note{Tenant: "acme", To: to, From: "alice", Subject: "hi", Body: "hello", At: at(i)})
		must(t, err)
		if id <= last {
			t.Fatalf("note id %d after %d", id, last)
		}
		last = id
	}
}

// stateVersion: every put and delete of an extension's state in a
// tenant raises that extension's version there (an overwrite too), never
// another extension's or another tenant's; the count follows the values.
func stateVersion(t *testing.T, b store.Backend) {
	ver := func(tn session.TenantID, ext string) (int64, int64) {
		vs, err := b.StateVersions(t.Context(), tn)
		must(t, err)
		for _, v := range vs {
			if v.Ext == ext {
				return v.Version, v.Values
			}
		}
		return 0, 0
	}
	v0, n0 := ver("acme", "notes")
	same(t, "empty tenant", []any{v0, n0}, []any{int64(0), int64(0)})
	put(t, b, slot{"notes", "acme", "todo", "a"}, `1`)
	v1, n1 := ver("acme", "notes")
	put(t, b, slot{"notes", "acme", "todo", "b"}, `2`)
	put(t, b, slot{"notes", "acme", "todo", "a"}, `3`)
	v2, n2 := ver("acme", "notes")
	if v1 <= v0 || v2 <= v1 || n1 != 1 || n2 != 2 {
		t.Fatalf("versions %d %d %d, counts %d %d", v0, v1, v2, n1, n2)
	}
	put(t, b, slot{"hosting", "acme", "servers", "x"}, `1`)
	put(t, b, slot{"notes", "globex", "todo", "a"}, `1`)
	if v, _ := ver("acme", "notes"); v != v2 {
		t.Fatalf("another extension's or tenant's write moved acme/notes: %d → %d", v2, v)
	}
	if v, n := ver("acme", "hosting"); v == 0 || n != 1 {
		t.Fatalf("acme/hosting: version %d, count %d", v, n)
	}
	must(t, b.StateDelete(t.Context(), "notes", "acme", "todo", "a"))
	if v, n := ver("acme", "notes"); v <= v2 || n != 1 {
		t.Fatalf("after delete: version %d (was %d), count %d", v, v2, n)
	}
	vs, err := b.StateVersions(t.Context(), "acme")
	must(t, err)
	if len(vs) != 2 || vs[0].Ext != "hosting" || vs[1].Ext != "notes" {
		t.Fatalf("versions not one per extension in id order: %+v", vs)
	}
}
