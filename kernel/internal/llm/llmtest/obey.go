package llmtest

import (
	"encoding/base64"
	"encoding/json"
	"regexp"
	"slices"
	"strings"
)

// Order is what an obedient model is told to do by an injected token: to
// route to Route (default: the extensions of the plan's tools) and to
// answer planning with Plan exactly as given (extra fields included), or
// to narrate with Narrate.
type Order struct {
	Route   []string        `json:"route,omitempty"`
	Plan    json.RawMessage `json:"plan,omitempty"`
	Narrate string          `json:"narrate,omitempty"`
}

// Token is the order as an injection: "OBEY:" and the order in base64url,
// which survives JSON quoting and masking unchanged.
func (o Order) Token() string {
	b, _ := json.Marshal(o)
	return "OBEY:" + base64.RawURLEncoding.EncodeToString(b)
}

var reOrder = regexp.MustCompile(`OBEY:([A-Za-z0-9_-]+)`)

// Asked is the request of the conversation as the kernel wrote it after
// "Request: " in the first user message.
func (r Request) Asked() string {
	for _, m := range r.Body.Messages {
		if m.Role != "user" {
			continue
		}
		i := strings.LastIndex(m.Content, "Request: ")
		if i < 0 {
			return ""
		}
		s, _, _ := strings.Cut(m.Content[i+len("Request: "):], "\n\nThe kernel rejected")
		return s
	}
	return ""
}

// order is the last order anywhere in the prompt that says something
// about the request's stage, or one read from a request of the form
// `TOOL {json args}`.
func (r Request) order() (Order, bool) {
	ms := reOrder.FindAllStringSubmatch(r.Prompt(), -1)
	for i := len(ms) - 1; i >= 0; i-- {
		var o Order
		b, err := base64.RawURLEncoding.DecodeString(ms[i][1])
		if err != nil || json.Unmarshal(b, &o) != nil {
			continue
		}
		switch r.Stage() {
		case "route":
			if o.Route != nil || o.Plan != nil {
				return o, true
			}
		case "plan":
			if o.Plan != nil {
				return o, true
			}
		default:
			if o.Narrate != "" {
				return o, true
			}
		}
	}
	tool, args, _ := strings.Cut(strings.TrimSpace(r.Asked()), " ")
	if !strings.Contains(tool, ".") || strings.ContainsAny(tool, " \n") {
		return Order{}, false
	}
	if args = strings.TrimSpace(args); args == "" {
		args = "{}"
	}
	plan, _ := json.Marshal(map[string]any{"steps": []any{map[string]any{"id": "s1", "tool": tool, "args": json.RawMessage(args), "depends_on": []string{}}}})
	return Order{Plan: plan}, true
}

// Obedient is a model that does whatever the last order in its prompt
// says about the question at hand — in the request or inside quoted data
// — as a model that follows every injection would; without an order it reads the request as
// `TOOL {json args}`, and otherwise finds nothing to do. tools answers
// with function calls instead of JSON content.
func Obedient(tools bool) func(Request) Response {
	return func(r Request) Response {
		o, ok := r.order()
		switch r.Stage() {
		case "route":
			if !ok {
				return routeAnswer(tools, map[string]any{"intent": "none", "confidence": 0.1, "domains": []string{}})
			}
			domains := o.Route
			if domains == nil {
				domains = o.domains()
			}
			return routeAnswer(tools, map[string]any{"intent": "write", "confidence": 0.95, "domains": domains})
		case "plan":
			if !ok || o.Plan == nil {
				return planAnswer(tools, json.RawMessage(`{"steps":[],"clarify":"What would you like me to do?"}`))
			}
			return planAnswer(tools, o.Plan)
		}
		return Reply(o.Narrate)
	}
}

// domains are the extensions of the order's planned tools.
func (o Order) domains() []string {
	var p struct {
		Steps []struct {
			Tool string `json:"tool"`
		} `json:"steps"`
	}
	_ = json.Unmarshal(o.Plan, &p)
	out := []string{}
	for _, s := range p.Steps {
		ext, _, _ := strings.Cut(s.Tool, ".")
		if !slices.Contains(out, ext) {
			out = append(out, ext)
		}
	}
	return out
}

func routeAnswer(tools bool, v map[string]any) Response {
	b, _ := json.Marshal(v)
	if tools {
		return Response{Calls: []Call{{Name: "steward_route", Arguments: string(b)}}}
	}
	return Response{Content: string(b)}
}

// planAnswer answers with the plan, or with one function call per step
// (ask_user for a question).
func planAnswer(tools bool, plan json.RawMessage) Response {
	if !tools {
		return Response{Content: string(plan)}
	}
	var p struct {
		Steps []struct {
			Tool      string          `json:"tool"`
			Args      json.RawMessage `json:"args"`
			DependsOn []string        `json:"depends_on"`
		} `json:"steps"`
		Clarify string `json:"clarify"`
	}
	if err := json.Unmarshal(plan, &p); err != nil {
		return Response{Content: string(plan)}
	}
	var calls []Call
	for _, s := range p.Steps {
		var args map[string]any
		_ = json.Unmarshal(s.Args, &args)
		if args == nil {
			args = map[string]any{}
		}
		if len(s.DependsOn) > 0 {
			args["$depends_on"] = s.DependsOn
		}
		b, _ := json.Marshal(args)
		calls = append(calls, Call{Name: strings.ReplaceAll(s.Tool, ".", "__"), Arguments: string(b)})
	}
	if p.Clarify != "" {
		b, _ := json.Marshal(map[string]string{"question": p.Clarify})
		calls = append(calls, Call{Name: "ask_user", Arguments: string(b)})
	}
	return Response{Calls: calls}
}
