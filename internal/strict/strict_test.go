package strict_test

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"

	"github.com/steward-os/steward/internal/strict"
)

type inner struct {
	Name string `json:"name"`
}

type doc struct {
	A     int               `json:"a"`
	Items []inner           `json:"items"`
	ByKey map[string]inner  `json:"by_key"`
	Raw   json.RawMessage   `json:"raw"`
	Tags  map[string]string `json:"tags"`
}

func TestDecode(t *testing.T) {
	var d doc
	if err := strict.Decode([]byte("a: 1\nitems: [{name: x}]\nby_key: {k: {name: y}}\nraw: {anything: [1, 2]}\n"), &d); err != nil {
		t.Fatal(err)
	}
	if d.A != 1 || d.Items[0].Name != "x" || d.ByKey["k"].Name != "y" || !strings.Contains(string(d.Raw), "anything") {
		t.Fatalf("%+v", d)
	}
	if err := strict.Decode([]byte(`{"a": 2}`), &d); err != nil || d.A != 2 {
		t.Fatalf("JSON input: %v", err)
	}
}

func TestUnknownKeysWithPaths(t *testing.T) {
	var d doc
	err := strict.Decode([]byte("a: 1\nb: 2\nitems: [{name: x}, {nmae: y}]\nby_key: {k: {extra: 1}}\n"), &d)
	var se *strict.Error
	if !errors.As(err, &se) {
		t.Fatalf("err %v", err)
	}
	var paths []string
	for _, p := range se.Problems {
		paths = append(paths, p.Path)
	}
	if got := strings.Join(paths, " "); got != "b by_key.k.extra items[1].nmae" {
		t.Fatalf("paths %q", got)
	}
}

func TestTypeMismatchAndGarbage(t *testing.T) {
	var d doc
	if err := strict.Decode([]byte("a: many"), &d); err == nil || !strings.Contains(err.Error(), "a") {
		t.Fatalf("type mismatch: %v", err)
	}
	if err := strict.Decode([]byte("a: [unclosed"), &d); err == nil {
		t.Fatal("garbage accepted")
	}
	if err := strict.Decode(make([]byte, strict.MaxDocument+1), &d); err == nil {
		t.Fatal("oversize accepted")
	}
}
