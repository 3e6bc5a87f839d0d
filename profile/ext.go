package profile

import (
	"context"

	"github.com/steward-os/steward/sdk"
	"github.com/steward-os/steward/session"
)

// The profile's own small extension: three level-0 tools that answer
// from an actor's profile. Being tools, their answers are facts in the
// ledger, narrated and grounded like any other, and routers learn them
// from their examples.
const extManifest = `
id: profile
version: 1.0.0
protocol_version: "1"
conformance_level: 2
description: What needs your attention, what is wrong and what is on your plate, from your profile.
scopes: [profile:read]
tools:
  - name: attention
    description: What needs my attention now (open alerts, my overdue tasks, my pending confirmations).
    safety_level: 0
    scopes: [profile:read]
    examples: ["what needs my attention?", "anything I should look at", "what should I look at first"]
    keywords: [attention, focus, priority, urgent]
    narrate: '{{len .alerts}} open alert(s), {{len .tasks}} task(s) of yours, {{len .proposals}} pending confirmation(s).{{range .alerts}}{{"\n"}}- [{{.severity}}] {{.summary}}{{end}}{{range .tasks}}{{"\n"}}- {{.id}} {{.title}} ({{.days_overdue}} days overdue){{end}}'
  - name: problems
    description: Is anything wrong (open alerts and anomalies).
    safety_level: 0
    scopes: [profile:read]
    examples: ["anything wrong?", "is something broken", "any alerts", "any anomalies"]
    keywords: [wrong, broken, alerts, alert, anomalies, problems, incidents]
    narrate: '{{if .alerts}}{{len .alerts}} open alert(s):{{range .alerts}}{{"\n"}}- [{{.severity}}] {{.summary}}{{end}}{{else}}Nothing is wrong as of {{.as_of}}.{{end}}'
  - name: plate
    description: What is on my plate (my pending tasks and confirmations).
    safety_level: 0
    scopes: [profile:read]
    examples: ["what's on my plate?", "what do I have to do", "my workload"]
    keywords: [plate, workload, todo]
    narrate: '{{len .tasks}} task(s), {{len .proposals}} pending confirmation(s).{{range .tasks}}{{"\n"}}- {{.id}} {{.title}}{{end}}{{range .proposals}}{{"\n"}}- {{.id}} {{.tool}}{{end}}'
`

// Answer is what the profile's tools return.
type Answer struct {
	AsOf      string    `json:"as_of"`
	Alerts    []Alert   `json:"alerts"`
	Tasks     []Task    `json:"tasks"`
	Proposals []Pending `json:"proposals"`
}

type noParams struct{}

// Extension is the profile's extension (id "profile"), answering from
// this refresher's profiles.
func (r *Refresher) Extension() sdk.Extension {
	answer := func(sel func(*Answer)) func(ctx context.Context, c sdk.Call[noParams]) (Answer, error) {
		return func(ctx context.Context, c sdk.Call[noParams]) (Answer, error) {
			a := sessionActor(c.Caller)
			v, err := r.View(ctx, a)
			if err != nil {
				return Answer{}, err
			}
			out := Answer{AsOf: stamp(v.Alerts.At), Alerts: nonNil(v.Alerts.Items), Tasks: nonNil(v.Tasks.Items), Proposals: nonNil(v.Proposals.Items)}
			sel(&out)
			return out, nil
		}
	}
	return sdk.Extension{Manifest: []byte(extManifest), Handlers: []sdk.Handler{
		sdk.Tool("attention", answer(func(*Answer) {})),
		sdk.Tool("problems", answer(func(a *Answer) { a.Tasks, a.Proposals = []Task{}, []Pending{} })),
		sdk.Tool("plate", answer(func(a *Answer) { a.Alerts = []Alert{} })),
	}}
}

func nonNil[T any](s []T) []T {
	if s == nil {
		return []T{}
	}
	return s
}

// sessionActor is the caller as the kernel's actor.
func sessionActor(c sdk.Caller) session.Actor {
	return session.Actor{ID: c.Actor, Tenant: c.Tenant, Roles: c.Roles, Manager: c.Manager}
}
