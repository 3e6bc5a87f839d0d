package llm

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	jsonv2 "github.com/go-json-experiment/json"
	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/kernel/internal/kit"
	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/session"
)

// Answers are parsed strictly: one JSON object of the documented shape,
// no unknown field (a plan cannot carry "confirmed": true), member names
// matched exactly and none given twice (neither {"intent":"read",
// "Intent":"destructive"} nor a name repeated is read as one of them). A
// Markdown code fence around the object is tolerated, as some local
// servers add one. Every problem is an issue fed back to the model.

// strict decodes exactly one JSON value into v, refusing unknown fields,
// case variants of known ones and names given twice.
func strict(data string, v any) error {
	data = unfence(data)
	if data == "" {
		return errors.New("the answer is empty; a JSON object was expected")
	}
	dec := jsontext.NewDecoder(strings.NewReader(data))
	if err := jsonv2.UnmarshalDecode(dec, v, jsonv2.RejectUnknownMembers(true)); err != nil {
		return answerError(err)
	}
	if _, err := dec.ReadToken(); !errors.Is(err, io.EOF) {
		return errors.New("the answer holds more than one JSON value")
	}
	return nil
}

// unfence is an answer without the Markdown code fence around it, if any.
func unfence(data string) string {
	data = strings.TrimSpace(data)
	if rest, ok := strings.CutPrefix(data, "```"); ok {
		rest = strings.TrimPrefix(rest, "json")
		data = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(rest), "```"))
	}
	return data
}

// answerError says in plain words what is wrong with an answer.
func answerError(err error) error {
	var se *jsontext.SyntacticError
	var me *jsonv2.SemanticError
	switch {
	case errors.As(err, &se) && errors.Is(se.Err, jsontext.ErrDuplicateName):
		return fmt.Errorf("the answer is not the expected JSON object: the field %q is given twice", pointerPath(se.JSONPointer))
	case errors.As(err, &se):
		return fmt.Errorf("the answer is not the expected JSON object: invalid JSON at byte %d", se.ByteOffset)
	case errors.As(err, &me) && errors.Is(me.Err, jsonv2.ErrUnknownName):
		return fmt.Errorf("the answer is not the expected JSON object: unknown field %q (names are matched exactly)", pointerPath(me.JSONPointer))
	case errors.As(err, &me) && me.JSONPointer == "":
		return errors.New("the answer is not the expected JSON object: it is not an object")
	case errors.As(err, &me):
		return fmt.Errorf("the answer is not the expected JSON object: the field %q has the wrong type", pointerPath(me.JSONPointer))
	}
	return errors.New("the answer is not the expected JSON object")
}

// pointerPath is a JSON pointer as the dotted path of member names.
func pointerPath(p jsontext.Pointer) string {
	var parts []string
	for t := range p.Tokens() {
		parts = append(parts, t)
	}
	return strings.Join(parts, ".")
}

// payload is the JSON of a structured answer: the call of the named
// function (a provider answering with tools) or the content.
func payload(c *completion, fn string) string {
	for _, tc := range c.calls {
		if tc.Name == fn {
			return tc.Arguments
		}
	}
	return c.content
}

type routeOut struct {
	Intent     string   `json:"intent"`
	Confidence float64  `json:"confidence"`
	Domains    []string `json:"domains"`
	Clarify    string   `json:"clarify"`
}

// parseRoute reads a routing answer; domains must be offered ones.
func parseRoute(c *completion, fn string, ds []domain) (route.Intent, []string) {
	var out routeOut
	if err := strict(payload(c, fn), &out); err != nil {
		return route.Intent{}, []string{err.Error()}
	}
	var issues []string
	switch out.Intent {
	case session.IntentRead, session.IntentWrite, session.IntentDestructive, session.IntentChain, session.IntentNone:
	default:
		issues = append(issues, fmt.Sprintf("intent %q is not one of read, write, destructive, chain, none", out.Intent))
	}
	if out.Confidence < 0 || out.Confidence > 1 {
		issues = append(issues, "confidence must be between 0 and 1")
	}
	for _, d := range out.Domains {
		if !slices.ContainsFunc(ds, func(x domain) bool { return x.id == d }) {
			issues = append(issues, fmt.Sprintf("%q is not one of the listed domains", d))
		}
	}
	in := route.Intent{Kind: out.Intent, Confidence: out.Confidence, Domains: out.Domains, Clarify: strings.TrimSpace(out.Clarify)}
	if in.Kind == session.IntentNone {
		in.Domains = nil
	}
	return in, issues
}

type planOut struct {
	Steps   []stepOut          `json:"steps"`
	Clarify string             `json:"clarify"`
	Answer  *route.LedgerQuery `json:"answer"`
}

type stepOut struct {
	ID        session.StepID   `json:"id"`
	Tool      session.ToolID   `json:"tool"`
	Args      json.RawMessage  `json:"args"`
	DependsOn []session.StepID `json:"depends_on"`
}

// parsePlan reads a planning answer (a JSON plan, or function calls) into
// a route.Plan, restoring the prompt's placeholders in arguments.
func parsePlan(c *completion, g *gate) (route.Plan, []string) {
	var out planOut
	if len(c.calls) > 0 {
		var issues []string
		out, issues = fromCalls(c.calls)
		if len(issues) > 0 {
			return route.Plan{}, issues
		}
	} else if err := strict(c.content, &out); err != nil {
		return route.Plan{}, []string{err.Error()}
	}
	p := route.Plan{Clarify: strings.TrimSpace(out.Clarify), Answer: out.Answer, Steps: []route.Step{}}
	var issues []string
	for _, s := range out.Steps {
		args, err := restoreArgs(s.Args, g)
		if err != nil {
			issues = append(issues, fmt.Sprintf("step %s: %s", s.ID, err))
			continue
		}
		deps := s.DependsOn
		if deps == nil {
			deps = []session.StepID{}
		}
		for _, r := range stepRefs(args) {
			if !slices.Contains(deps, r) {
				deps = append(deps, r)
			}
		}
		p.Steps = append(p.Steps, route.Step{ID: s.ID, Tool: s.Tool, Args: redact.Marshal(args), DependsOn: deps})
	}
	return p, issues
}

// fromCalls turns function calls into a plan: each tool call is the next
// step; ask_user is a question, answer_from_ledger an answer.
func fromCalls(calls []toolCall) (planOut, []string) {
	var out planOut
	var issues []string
	for _, tc := range calls {
		switch tc.Name {
		case fnAsk:
			var q struct {
				Question string `json:"question"`
			}
			if err := strict(tc.Arguments, &q); err != nil {
				issues = append(issues, fnAsk+": "+err.Error())
			}
			out.Clarify = q.Question
		case fnAnswer:
			var q route.LedgerQuery
			if err := strict(tc.Arguments, &q); err != nil {
				issues = append(issues, fnAnswer+": "+err.Error())
			}
			out.Answer = &q
		default:
			args, deps, err := splitDeps(tc.Arguments)
			if err != nil {
				issues = append(issues, fmt.Sprintf("%s: %s", tc.Name, err))
				continue
			}
			id := session.StepID(fmt.Sprintf("s%d", len(out.Steps)+1))
			out.Steps = append(out.Steps, stepOut{ID: id, Tool: toolOf(tc.Name), Args: args, DependsOn: deps})
		}
	}
	return out, issues
}

// splitDeps takes "$depends_on" out of a function call's arguments.
func splitDeps(raw string) (json.RawMessage, []session.StepID, error) {
	obj, ok := asObject([]byte(raw))
	if !ok {
		return nil, nil, errors.New("the arguments are not a JSON object")
	}
	var deps []session.StepID
	if d, ok := obj["$depends_on"]; ok {
		list, _ := d.([]any)
		for _, x := range list {
			if s, ok := x.(string); ok {
				deps = append(deps, session.StepID(s))
			}
		}
		delete(obj, "$depends_on")
	}
	return redact.Marshal(obj), deps, nil
}

// restoreArgs decodes a step's arguments (an object) and puts back the
// prompt's placeholders.
func restoreArgs(raw json.RawMessage, g *gate) (map[string]any, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return map[string]any{}, nil
	}
	obj, ok := asObject(raw)
	if !ok {
		return nil, errors.New("args must be a JSON object")
	}
	mapStrings(obj, g.restore)
	return obj, nil
}

// stepRefs lists the steps an argument map refers to ({"$ref": "s1#…"}).
func stepRefs(args map[string]any) []session.StepID {
	var out []session.StepID
	for _, v := range args {
		if target, ok := route.IsRef(v); ok && !strings.HasPrefix(target, "fact:") {
			id, _, _ := strings.Cut(target, "#")
			out = append(out, session.StepID(id))
		}
	}
	slices.Sort(out)
	return out
}

// asObject decodes a JSON object, numbers kept as written.
func asObject(raw []byte) (map[string]any, bool) {
	var obj map[string]any
	err := kit.DecodeNumbers(raw, &obj)
	return obj, err == nil && obj != nil
}
