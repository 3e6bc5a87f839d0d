package profile

import (
	"context"
	"sort"
	"time"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/session/store"
)

// Section is one part of a profile with its freshness stamp: when what it
// holds was last refreshed (zero: never).
type Section[T any] struct {
	At    time.Time `json:"at"`
	Items []T       `json:"items"`
}

// Resource is a resource the actor owns or watches, as probes report it.
type Resource struct {
	ID     string `json:"id"`
	Series string `json:"series"`
	Value  string `json:"value"`
	Owned  bool   `json:"owned,omitempty"`
}

// Activity is one of the actor's recent facts.
type Activity struct {
	Tool session.ToolID `json:"tool"`
	OK   bool           `json:"ok"`
	At   time.Time      `json:"at"`
}

// Pending is an open proposal of the actor.
type Pending struct {
	ID   session.ProposalID `json:"id"`
	Tool session.ToolID     `json:"tool"`
}

// Task is a pending task assigned to the actor, as a probe reports it.
type Task struct {
	ID          string `json:"id"`
	Title       string `json:"title,omitempty"`
	DaysOverdue string `json:"days_overdue"`
}

// Alert is an open finding.
type Alert struct {
	Fingerprint string   `json:"fingerprint"`
	Severity    Severity `json:"severity"`
	Resource    string   `json:"resource,omitempty"`
	Summary     string   `json:"summary"`
}

// View is an actor's User Intelligence Profile.
type View struct {
	Actor     session.ActorID   `json:"actor"`
	Tenant    session.TenantID  `json:"tenant"`
	Resources Section[Resource] `json:"resources"`
	Activity  Section[Activity] `json:"activity"`
	Proposals Section[Pending]  `json:"proposals"`
	Tasks     Section[Task]     `json:"tasks"`
	Alerts    Section[Alert]    `json:"alerts"`
	Channels  Section[string]   `json:"channels"`
}

// View builds the actor's profile: what the tenant's probes last
// reported (resources, the actor's tasks, open findings) and, read now,
// the actor's recent facts, pending proposals and last channel.
func (r *Refresher) View(ctx context.Context, a session.Actor) (View, error) {
	now := r.d.Clock.Now()
	v := View{Actor: a.ID, Tenant: a.Tenant}
	r.snapshot(a, &v)
	fs, err := r.d.Kernel.Surface().Facts(ctx, a, 100)
	if err != nil {
		return v, err
	}
	v.Activity.At = now
	for _, f := range fs {
		if now.Sub(f.At) <= r.cfg.Activity.D() {
			v.Activity.Items = append(v.Activity.Items, Activity{Tool: f.Tool, OK: f.OK, At: f.At})
		}
	}
	if r.d.Proposals != nil {
		rows, err := r.d.Proposals.ProposalsInState(ctx, store.ProposalPending)
		if err != nil {
			return v, err
		}
		v.Proposals.At = now
		for _, p := range rows {
			if p.Tenant == a.Tenant && p.Actor == a.ID {
				v.Proposals.Items = append(v.Proposals.Items, Pending{ID: p.ID, Tool: p.Tool})
			}
		}
	}
	if r.d.Continuity != nil {
		if addr, err := r.d.Continuity.LastChannel(ctx, session.SessionFor(a)); err == nil && addr.Channel != "" {
			v.Channels = Section[string]{At: now, Items: []string{string(addr.Channel)}}
		}
	}
	return v, nil
}

// snapshot fills the sections the refresh keeps.
func (r *Refresher) snapshot(a session.Actor, v *View) {
	r.mu.Lock()
	defer r.mu.Unlock()
	st := r.state(a.Tenant)
	v.Resources.At, v.Tasks.At, v.Alerts.At = st.pass, st.pass, st.pass
	for _, k := range sortedKeys(st.tracks) {
		t := st.tracks[k]
		p := t.last()
		owned := t.labels["assignee"] == string(a.ID)
		if t.labels["assignee"] != "" && !owned {
			continue // someone else's task
		}
		v.Resources.Items = append(v.Resources.Items, Resource{ID: k.Resource, Series: k.Series, Value: num(p.Value), Owned: owned})
		if owned && k.Series == "days_overdue" {
			v.Tasks.Items = append(v.Tasks.Items, Task{ID: k.Resource, Title: t.labels["title"], DaysOverdue: num(p.Value)})
		}
	}
	for _, f := range st.open {
		v.Alerts.Items = append(v.Alerts.Items, Alert{Fingerprint: f.Fingerprint, Severity: f.Severity, Resource: f.Resource, Summary: f.Summary})
	}
	sort.Slice(v.Alerts.Items, func(i, j int) bool {
		x, y := v.Alerts.Items[i], v.Alerts.Items[j]
		if x.Severity != y.Severity {
			return x.Severity == SeverityCritical
		}
		return x.Fingerprint < y.Fingerprint
	})
}
