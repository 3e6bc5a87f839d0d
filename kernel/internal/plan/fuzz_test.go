package plan_test

import (
	"context"
	"encoding/json"
	"errors"
	"reflect"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/steward-os/steward/internal/fuzzcheck"
	"github.com/steward-os/steward/kernel/internal/plan"
	kt "github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// Plans of the kernel's chain tests, and broken variants of them.
var planSeeds = []string{
	`[{"id":"s1","tool":"tasks.list_tasks","args":{"status":"pending"}},{"id":"s2","tool":"messaging.send_message","args":{"to":"alice","body":{"$ref":"s1"}},"depends_on":["s1"]}]`,
	`[{"id":"s2","tool":"messaging.send_message","args":{"to":"alice","body":{"$ref":"s1"}},"depends_on":["s1"]},{"id":"s1","tool":"tasks.list_tasks","args":{"status":"pending"}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":["s2"]},{"id":"s2","tool":"hosting.get_server","args":{"server":"web-1"},"depends_on":["s1"]}]`,
	`[{"id":"s1","tool":"hosting.get_server","args":{"server":{"$ref":"s9#/name"}}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{},"depends_on":["s0"]}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.resize_server","args":{"server":"web-1","size":"huge"}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.delete_server","args":{"server":5}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s1","tool":"hosting.list_sites","args":{}}]`,
	`[{"id":"s1","tool":"hosting.get_server","args":{"server":{"$ref":"fact:999#/name"}}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"messaging.send_message","args":{"to":"bob","body":"x","subject":{"a":{"$ref":"s1"}}}}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/servers/0/name"}},"depends_on":["s1"]}]`,
	`[{"id":"s1","tool":"hosting.list_servers","args":{}},{"id":"s2","tool":"hosting.get_server","args":{"server":{"$ref":"s1#/servers/+0/name"}},"depends_on":["s1"]}]`,
	`[{"id":"s1","tool":"hosting.restart_server","args":{"server":"web-1"}}]`,
	`[{"id":"s1","tool":"nope.tool","args":{}}]`, `[]`, `{}`, `[{"id":""}]`,
}

// FuzzPlan: any plan, as a planner hands it to the kernel, through a
// whole turn (the plan checker, the order, each step's arguments, its
// references resolved from the producers' facts, the gate). The turn
// never fails as a whole; every error part has a stable code and a plain
// message, never internal; every text part is plain; and no turn answers
// without a part.
func FuzzPlan(f *testing.F) {
	for _, s := range planSeeds {
		f.Add(s)
	}
	e := kt.New(f, kt.Options{})
	f.Fuzz(func(t *testing.T, steps string) {
		text := "plan: " + steps
		if !utf8.ValidString(text) || utf8.RuneCountInString(text) > session.MaxTextLen {
			return // the channels refuse it before the kernel (bad_request)
		}
		out, err := e.K.Handle(context.Background(), kt.Alice, session.Inbound{From: session.Address{Channel: "test"}, Text: text, At: e.Clock.Now()})
		if err != nil {
			t.Fatalf("the turn failed: %v", err)
		}
		if len(out.Parts) == 0 {
			t.Fatalf("no reply to %q", steps)
		}
		for _, p := range out.Parts {
			switch x := p.(type) {
			case *session.Error:
				fuzzcheck.Refusal(t, x.Code, x.Message, []byte(steps))
				if x.Code == session.CodeInternal {
					t.Fatalf("internal error on %q: %s", steps, x.Message)
				}
			case *session.Text:
				fuzzcheck.Plain(t, x.Text, []byte(steps))
			}
		}
	})
}

// FuzzRef: step-output references ("s1#/a/0", "fact:12#/x") and the
// RFC 6901 pointers in them. ParseRef accepts a reference exactly when it
// names a producer and its pointer is empty or starts with "/", and
// splits it losslessly; JSONPointer finds exactly what RFC 6901 names in
// any JSON document (an array index is "0" or digits without a leading
// zero), and an error says what is missing in plain words.
func FuzzRef(f *testing.F) {
	for _, s := range []struct{ ref, doc string }{
		{"s1", `{"servers":[{"name":"web-1"}]}`},
		{"s1#/servers/0/name", `{"servers":[{"name":"web-1"}]}`},
		{"s1#/servers/+0/name", `{"servers":[{"name":"web-1"}]}`},
		{"s1#/servers/00/name", `{"servers":[{"name":"web-1"}]}`},
		{"s1#/servers/-1", `{"servers":[1]}`},
		{"fact:12#/a~1b/~0c", `{"a/b":{"~c":true}}`},
		{"fact:x#/a", `{}`}, {"#/a", `{}`}, {"s1#a", `{}`}, {"s1#", `[]`}, {"s1#/", `{"":1}`},
		{"s1#/0/1", `[[1,2]]`}, {"s1#/a/b", `{"a":"text"}`},
	} {
		f.Add(s.ref, []byte(s.doc))
	}
	f.Fuzz(func(t *testing.T, ref string, doc []byte) {
		target, pointer, err := plan.ParseRef(ref)
		if err != nil {
			fuzzcheck.Plain(t, err.Error(), []byte(ref))
			return
		}
		if target == "" || (pointer != "" && pointer[0] != '/') {
			t.Fatalf("ParseRef(%q) = %q, %q", ref, target, pointer)
		}
		if ref != target && ref != target+"#"+pointer {
			t.Fatalf("ParseRef(%q) lost something: %q, %q", ref, target, pointer)
		}
		var v any
		if json.Unmarshal(doc, &v) != nil {
			return
		}
		got, err := plan.JSONPointer(v, pointer)
		want, werr := rfc6901(v, pointer)
		switch {
		case (err == nil) != (werr == nil):
			t.Fatalf("JSONPointer(%s, %q): error %v, RFC 6901 says %v", doc, pointer, err, werr)
		case err != nil:
			fuzzcheck.Plain(t, err.Error(), []byte(ref))
		case !reflect.DeepEqual(got, want):
			t.Fatalf("JSONPointer(%s, %q) = %v, RFC 6901 says %v", doc, pointer, got, want)
		}
	})
}

// rfc6901 is the reference evaluation of a JSON Pointer, one reference
// token at a time, recursively.
func rfc6901(v any, pointer string) (any, error) {
	if pointer == "" {
		return v, nil
	}
	head, rest, more := strings.Cut(pointer[1:], "/")
	if more {
		rest = "/" + rest
	}
	name := strings.NewReplacer("~1", "/", "~0", "~").Replace(head)
	var next any
	if obj, ok := v.(map[string]any); ok {
		e, found := obj[name]
		if !found {
			return nil, errors.New("no member")
		}
		next = e
	} else if list, ok := v.([]any); ok {
		digits := name != "" && strings.Trim(name, "0123456789") == "" && (name == "0" || name[0] != '0')
		i, err := strconv.Atoi(name)
		if !digits || err != nil || i >= len(list) {
			return nil, errors.New("no item")
		}
		next = list[i]
	} else {
		return nil, errors.New("not a container")
	}
	return rfc6901(next, rest)
}
