package llm

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"

	jsonv2 "github.com/go-json-experiment/json"

	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// exactly decodes data (what strict took, fences removed) as the strict
// reading the answer must agree with: member names matched exactly, none
// given twice, none unknown.
func exactly(data string, v any) error {
	return jsonv2.Unmarshal([]byte(unfence(data)), v, jsonv2.RejectUnknownMembers(true))
}

// FuzzModelAnswer: a provider's answer on the model path — the routing
// answer, and the planning answer as content or as function calls —
// parsed as the model router parses it. Nothing panics; every issue fed
// back to the model is plain; an answer taken without issues is one JSON
// object whose every member name is exact (a case variant or a name given
// twice is refused, not read as the last or the nearest one), with an
// offered intent, a confidence in 0..1 and offered domains; a plan taken
// has object arguments and depends on every step its arguments refer to.
func FuzzModelAnswer(f *testing.F) {
	for _, s := range []struct{ content, call, args string }{
		{`{"intent":"read","confidence":0.9,"domains":["hosting"],"clarify":""}`, "", ""},
		{"```json\n{\"intent\":\"none\",\"confidence\":1,\"domains\":[]}\n```", "", ""},
		{`{"intent":"read","Intent":"destructive","confidence":0.9,"domains":["hosting"]}`, "", ""},
		{`{"intent":"read","intent":"write","confidence":0.9,"domains":["hosting"]}`, "", ""},
		{`{"intent":"write","confidence":2,"domains":["billing"]}`, "", ""},
		{`{"steps":[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/servers/0/name"}}}]}`, "", ""},
		{`{"steps":[{"id":"s1","tool":"hosting.restart_server","args":{"server":"web-1"},"confirmed":true}]}`, "", ""},
		{`{"steps":[],"Steps":[{"id":"s1","tool":"hosting.delete_server","args":{"server":"web-1"}}]}`, "", ""},
		{`{"steps":[],"answer":{"fact":3,"path":"/servers","op":"count"}}`, "", ""},
		{"", "hosting__get_server", `{"server":"web-1","$depends_on":["s0"]}`},
		{"", fnRoute, `{"intent":"chain","confidence":0.5,"domains":["tasks"]}`},
		{"", "ask_user", `{"question":"Which server?"}`},
		{"", "ask_user", `{"question":"a","Question":"b"}`},
		{"", "answer_from_ledger", `{"fact":1,"path":"/x","op":"list"}`},
		{"", "hosting__get_server", `[1]`},
		{`{"intent":"read"} {"intent":"write"}`, "", ""}, {`[]`, "", ""}, {"null", "", ""},
	} {
		f.Add(s.content, s.call, s.args)
	}
	ds := []domain{{id: "hosting"}, {id: "tasks"}}
	f.Fuzz(func(t *testing.T, content, call, args string) {
		input := []byte(content + call + args)
		c := &completion{content: content}
		if call != "" {
			c.calls = []toolCall{{Name: call, Arguments: args}}
		}
		in, issues := parseRoute(c, fnRoute, ds)
		plainIssues(t, issues, input)
		if len(issues) == 0 {
			var exact routeOut
			if err := exactly(payload(c, fnRoute), &exact); err != nil {
				t.Fatalf("routing answer %q taken, but it is not exact JSON: %v", payload(c, fnRoute), err)
			}
			ok := slices.Contains([]string{session.IntentRead, session.IntentWrite, session.IntentDestructive, session.IntentChain, session.IntentNone}, in.Kind)
			if !ok || in.Kind != exact.Intent || in.Confidence < 0 || in.Confidence > 1 {
				t.Fatalf("routing answer %q taken as %+v", payload(c, fnRoute), in)
			}
			for _, d := range in.Domains {
				if d != "hosting" && d != "tasks" {
					t.Fatalf("domain %q was not offered", d)
				}
			}
		}
		g := &gate{m: redact.New(), back: map[string]string{}}
		p, issues := parsePlan(c, g)
		plainIssues(t, issues, input)
		if len(issues) > 0 {
			return
		}
		if len(c.calls) == 0 {
			var exact planOut
			if err := exactly(c.content, &exact); err != nil {
				t.Fatalf("plan %q taken, but it is not exact JSON: %v", c.content, err)
			}
			if len(exact.Steps) != len(p.Steps) {
				t.Fatalf("plan %q: %d steps read, %d exactly", c.content, len(p.Steps), len(exact.Steps))
			}
		}
		checkSteps(t, p)
	})
}

func plainIssues(t *testing.T, issues []string, input []byte) {
	t.Helper()
	for _, is := range issues {
		if is == "" {
			t.Fatal("an empty issue")
		}
		fuzzcheck.Plain(t, is, input)
	}
}

// checkSteps: every step's arguments are one object, and a step depends
// on each step its arguments refer to.
func checkSteps(t *testing.T, p route.Plan) {
	t.Helper()
	for _, s := range p.Steps {
		var obj map[string]any
		if err := json.Unmarshal(s.Args, &obj); err != nil || obj == nil {
			t.Fatalf("step %s: arguments %s are not an object", s.ID, s.Args)
		}
		for _, v := range obj {
			target, ok := route.IsRef(v)
			if !ok || strings.HasPrefix(target, "fact:") {
				continue
			}
			id, _, _ := strings.Cut(target, "#")
			if !slices.Contains(s.DependsOn, session.StepID(id)) {
				t.Fatalf("step %s refers to %s without depending on it: %v", s.ID, id, s.DependsOn)
			}
		}
	}
}
