package narrate_test

import (
	"strings"
	"testing"

	"github.com/steward-os/steward/internal/narrate"
)

func TestRender(t *testing.T) {
	data := map[string]any{"name": "web-1", "sites": []any{"shop.acme.test"}}
	got, err := narrate.Render(`{{.name}} has {{len .sites}} site(s){{if .missing}} {{.missing}}{{end}}.`, data)
	if err != nil || got != "web-1 has 1 site(s)." {
		t.Fatalf("%q %v", got, err)
	}
	// A value printed from nowhere fails instead of saying "<no value>".
	if _, err := narrate.Render(`{{.name}} is {{.status}}.`, data); err == nil {
		t.Fatal("missing value rendered")
	}
	if _, err := narrate.Render(`{{.name`, data); err == nil {
		t.Fatal("bad template accepted")
	}
}

func TestListing(t *testing.T) {
	got := narrate.Listing("hosting.get_server", map[string]any{"name": "web-1", "sites": []any{"shop.acme.test"}})
	want := "hosting.get_server returned:\n- name: \"web-1\"\n- sites (1):\n-   \"shop.acme.test\""
	if got != want {
		t.Fatalf("%q", got)
	}
	if !strings.Contains(narrate.Listing("x", 5.0), "5") {
		t.Fatal("scalar")
	}
}
