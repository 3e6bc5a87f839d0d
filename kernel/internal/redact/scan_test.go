package redact_test

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/steward-os/steward/kernel/internal/redact"
)

// A document with nothing to mask comes back as it is: no decode and
// re-encode round trip (which sorted its keys and compacted it).
func TestJSONCleanDocumentUnchanged(t *testing.T) {
	m := redact.New("hunter2-long-secret").WithFields("ssn")
	for _, doc := range []string{
		`{"tool":"list_servers","b":1,"a":["web-1","db-1"]}`,
		`{ "steps": [ {"tool": "show_server", "args": {"name": "web-1"}} ], "confidence": 0.93 }`,
		`{"at":"2026-11-23T16:18:38.977501316Z","hash":"6196415212c55bcdb8fc32e67790ddc333febd90ecafe0438cbc135544fdac97"}`,
		`{"note":"<email:1a2b3c4d> asked","n":12345678901234567890}`,
	} {
		if got := string(m.JSON(json.RawMessage(doc))); got != doc {
			t.Errorf("clean document rewritten:\n in  %s\n out %s", doc, got)
		}
	}
}

// ISO-05 AF-10: the byte scan never lets through what the full masking
// would change; its result means the same as the full path's.
func TestJSONScanMatchesFullMasking(t *testing.T) {
	m := redact.New("hunter2-long-secret").WithFields("ssn")
	for _, doc := range []string{
		`{"to":"x@y.test"}`,
		`{"call":"+1 (555) 010-9999"}`,
		`{"k":["ok","key sk-abcdefghijklmnopqrstuv"]}`,
		`{"escaped":"\u0068unter2-long-secret"}`,
		`{"SSN":123456789}`,
		`{"nested":{"ssn":{"a":"b"}}}`,
		`{"hunter2-long-secret":"key names are not masked"}`,
		`{"auth":"Bearer abc.def.ghi"}`,
		`"plain x@y.test"`,
		`not json x@y.test`,
		`{"a":"b"`,
		`{"a":"web-1","n":1.50,"t":true,"z":null}`,
	} {
		got := m.JSON(json.RawMessage(doc))
		want := reference(m, doc)
		if !sameJSON(t, got, want) {
			t.Errorf("%s:\n fast %s\n full %s", doc, got, want)
		}
	}
}

// MarshalJSON encodes once, without HTML escaping, and masks.
func TestEncodeJSON(t *testing.T) {
	m := redact.New("hunter2-long-secret")
	got, err := m.EncodeJSON(map[string]any{"a": "<b> & c", "to": "x@y.test", "pw": "hunter2-long-secret"})
	if err != nil {
		t.Fatal(err)
	}
	want := reference(m, `{"a":"<b> & c","to":"x@y.test","pw":"hunter2-long-secret"}`)
	if string(got) != string(want) {
		t.Errorf("got %s, want %s", got, want)
	}
	clean, _ := m.EncodeJSON(struct {
		B string `json:"b"`
		A int    `json:"a"`
	}{"<web-1>", 2})
	if string(clean) != `{"b":"<web-1>","a":2}` {
		t.Errorf("clean struct: %s", clean)
	}
}

// reference masks the slow way: decode, mask every value, encode.
func reference(m *redact.Masker, doc string) json.RawMessage {
	var v any
	if json.Unmarshal([]byte(doc), &v) != nil {
		return redact.Marshal(m.String(doc))
	}
	return redact.Marshal(m.Value(v))
}

func sameJSON(t *testing.T, a, b json.RawMessage) bool {
	t.Helper()
	var x, y any
	if err := json.Unmarshal(a, &x); err != nil {
		t.Fatalf("%s: %v", a, err)
	}
	if err := json.Unmarshal(b, &y); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	return reflect.DeepEqual(x, y)
}

func BenchmarkJSONClean(b *testing.B) {
	m := redact.New("hunter2-long-secret")
	doc := json.RawMessage(`{"steps":[{"tool":"show_server","args":{"name":"web-1"}}],"confidence":0.93,"problems":null,"attempt":1}`)
	b.ReportAllocs()
	for b.Loop() {
		m.JSON(doc)
	}
}

func BenchmarkEncodeJSON(b *testing.B) {
	m := redact.New("hunter2-long-secret")
	v := map[string]any{"steps": []map[string]any{{"tool": "show_server", "args": map[string]string{"name": "web-1"}}}, "confidence": 0.93, "attempt": 1}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.EncodeJSON(v); err != nil {
			b.Fatal(err)
		}
	}
}
