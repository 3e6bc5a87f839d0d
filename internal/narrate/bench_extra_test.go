package narrate_test

import (
	"encoding/json"
	"strings"
	"testing"
	"text/template"

	"github.com/steward-os/steward/internal/narrate"
)

// The list_servers narration and a verbatim output of the demo world.
const (
	benchTemplate = `{{len .servers}} server(s):{{range .servers}}{{"\n"}}- {{.name}} ({{.region}}, {{.status}}, size {{.size}}){{end}}`
	benchOutput   = `{"servers":[{"name":"web-1","region":"eu-west","status":"running","size":"m"},{"name":"web-2","region":"eu-west","status":"running","size":"m"},{"name":"db-1","region":"us-east","status":"running","size":"l"},{"name":"staging-1","region":"us-east","status":"stopped","size":"s"}]}`
)

func benchData(b *testing.B) any {
	var v any
	if err := json.Unmarshal([]byte(benchOutput), &v); err != nil {
		b.Fatal(err)
	}
	return v
}

// BenchmarkRender is one narration as the kernel does it: the template is
// parsed on every call.
func BenchmarkRender(b *testing.B) {
	data := benchData(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		s, err := narrate.Render(benchTemplate, data)
		if err != nil || !strings.HasPrefix(s, "4 server(s)") {
			b.Fatal(s, err)
		}
	}
}

// BenchmarkRenderPreparsed executes an already parsed template: what
// Render would cost with the parse cached per manifest template.
func BenchmarkRenderPreparsed(b *testing.B) {
	data := benchData(b)
	t := template.Must(template.New("n").Option("missingkey=default").Parse(benchTemplate))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		var sb strings.Builder
		if err := t.Execute(&sb, data); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkListing is the fallback listing of the same output.
func BenchmarkListing(b *testing.B) {
	data := benchData(b)
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		if s := narrate.Listing("hosting.list_servers", data); !strings.Contains(s, "web-1") {
			b.Fatal(s)
		}
	}
}
