package manifest_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"reflect"
	"regexp"
	"testing"

	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/manifest"
)

var ruleID = regexp.MustCompile(`^[MB][0-9]{3}$`)

// FuzzManifest: the loader never panics or hangs on any input (it bounds
// a document at strict.MaxDocument); every issue it reports names a rule
// (M… or B…), a severity and a plain message with a fix; a manifest it
// accepts has every tool's level in range, and written back out as JSON
// it parses again, without errors, to the same manifest.
func FuzzManifest(f *testing.F) {
	f.Add([]byte(good))
	for _, p := range []string{"hosting", "messaging", "tasks"} {
		b, err := os.ReadFile(filepath.Join("..", "..", "extensions", p, "manifest.yaml"))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	for _, s := range []string{
		`{"id":"x","tools":[{"name":"a","safety_level":9}]}`,
		"id: [unterminated",
		"tools:\n  - parameters: {type: object, properties: {a: {$ref: '#/x'}}}",
		"&a [*a, *a]",
		"id: demo\nid: demo",
		"{}", "[]", "null", "", "\x00",
		"id: demo\nversion: 1.2.3\nprotocol_version: \"1\"\nconformance_level: 1\ndescription: d\nscopes: [demo:read]\ntools:\n  - {name: t, description: d, safety_level: 0, scopes: [demo:read], max_duration: 999h}",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		m, issues := manifest.Parse(data)
		checkIssues(t, issues, data)
		if m == nil || manifest.HasErrors(issues) {
			return
		}
		for _, tool := range m.Tools {
			if l := tool.Level(); l < 0 || l > 4 {
				t.Fatalf("accepted level %d", l)
			}
		}
		out, err := json.Marshal(m)
		if err != nil {
			t.Fatalf("an accepted manifest does not encode: %v", err)
		}
		again, issues2 := manifest.Parse(out)
		if again == nil || manifest.HasErrors(issues2) {
			t.Fatalf("an accepted manifest, written back, is refused: %+v\n%s", issues2, out)
		}
		if !reflect.DeepEqual(normal(t, m), normal(t, again)) {
			t.Fatalf("round trip changed the manifest:\n%s\n%s", out, mustJSON(t, again))
		}
	})
}

func checkIssues(t *testing.T, issues []manifest.Issue, input []byte) {
	t.Helper()
	for _, is := range issues {
		if !ruleID.MatchString(is.Rule) || (is.Severity != manifest.SeverityError && is.Severity != manifest.SeverityWarning) || is.Message == "" || is.Path == "" {
			t.Fatalf("issue without a rule, severity, path or message: %+v", is)
		}
		fuzzcheck.Plain(t, is.Message+" "+is.Fix, input)
	}
}

// normal is a manifest as generic JSON (raw schemas compared by value,
// not by their spelling).
func normal(t *testing.T, m *manifest.Manifest) any {
	var v any
	if err := json.Unmarshal(mustJSON(t, m), &v); err != nil {
		t.Fatal(err)
	}
	return v
}

func mustJSON(t *testing.T, v any) []byte {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
