package storetest

import (
	"testing"

	"github.com/steward-os/steward/session/store"
)

var markChecks = []check{
	{"SetGetOverwrite", markSetGet},
	{"EmptyValueDeletes", markEmptyDeletes},
	{"PrefixListing", markPrefixes},
	{"TakeOnce", markTakeOnce},
	{"ConcurrentTakeOneWins", markConcurrentTake},
}

// setMarks writes marks, in order.
func setMarks(t *testing.T, b store.Backend, kv ...string) {
	t.Helper()
	for i := 0; i+1 < len(kv); i += 2 {
		must(t, b.SetMark(t.Context(), kv[i], kv[i+1], at(i)))
	}
}

// wantMark checks a mark's value (ok false for "").
func wantMark(t *testing.T, b store.Backend, key, want string) {
	t.Helper()
	v, ok, err := b.Mark(t.Context(), key)
	must(t, err)
	same(t, "mark "+key, []any{v, ok}, []any{want, want != ""})
}

// markSetGet: a mark reads back as last set; an unset one is absent.
func markSetGet(t *testing.T, b store.Backend) {
	wantMark(t, b, "feed:web", "")
	setMarks(t, b, "feed:web", "17")
	wantMark(t, b, "feed:web", "17")
	setMarks(t, b, "feed:web", "18")
	wantMark(t, b, "feed:web", "18")
}

// markEmptyDeletes: setting the empty value deletes a mark (and deleting
// an absent one is no error).
func markEmptyDeletes(t *testing.T, b store.Backend) {
	setMarks(t, b, "feed:web", "17", "feed:web", "", "feed:absent", "")
	wantMark(t, b, "feed:web", "")
	marks, err := b.Marks(t.Context(), "")
	must(t, err)
	same(t, "marks", len(marks), 0)
}

// markPrefixes: Marks lists exactly the marks whose key starts with the
// prefix (bytes compared as they are: case matters, no wildcards).
func markPrefixes(t *testing.T, b store.Backend) {
	setMarks(t, b, "card:web:p_1", "m1", "card:web:p_2", "m2", "card:webx:p_3", "m3", "Card:web:p_4", "m4",
		"card:wéb:p_5", "m5", "card_web_p_6", "m6", "feed", "f")
	for _, c := range []struct {
		prefix string
		want   map[string]string
	}{
		{"card:web:", map[string]string{"card:web:p_1": "m1", "card:web:p_2": "m2"}},
		{"card:wéb:", map[string]string{"card:wéb:p_5": "m5"}},
		{"card:web", map[string]string{"card:web:p_1": "m1", "card:web:p_2": "m2", "card:webx:p_3": "m3"}},
		{"card_web_", map[string]string{"card_web_p_6": "m6"}},
		{"card%", map[string]string{}},
		{"feed", map[string]string{"feed": "f"}},
		{"feed:", map[string]string{}},
		{"", map[string]string{"card:web:p_1": "m1", "card:web:p_2": "m2", "card:webx:p_3": "m3", "Card:web:p_4": "m4",
			"card:wéb:p_5": "m5", "card_web_p_6": "m6", "feed": "f"}},
	} {
		got, err := b.Marks(t.Context(), c.prefix)
		must(t, err)
		if len(got) != 0 || len(c.want) != 0 {
			same(t, "marks under "+c.prefix, got, c.want)
		}
	}
}

// markTakeOnce: TakeMark returns the value and deletes the mark; taking
// it again (or an absent mark) finds nothing.
func markTakeOnce(t *testing.T, b store.Backend) {
	setMarks(t, b, "card:web:p_1", "m1")
	for _, want := range []string{"m1", ""} {
		v, ok, err := b.TakeMark(t.Context(), "card:web:p_1")
		must(t, err)
		same(t, "taken", []any{v, ok}, []any{want, want != ""})
	}
	wantMark(t, b, "card:web:p_1", "")
}

// markConcurrentTake: of concurrent takers exactly one gets the value.
func markConcurrentTake(t *testing.T, b store.Backend) {
	setMarks(t, b, "card:web:p_1", "m1")
	exactlyOne(t, func(int) (bool, error) {
		v, ok, err := b.TakeMark(t.Context(), "card:web:p_1")
		if ok && v != "m1" {
			t.Errorf("took %q, want m1", v)
		}
		return ok, err
	})
}
