package dialogue

import (
	"testing"

	"github.com/steward-os/steward/kernel/route"
	"github.com/steward-os/steward/sdk"
)

func names() Names {
	srv := func(id, region string) route.Resource {
		return route.Resource{Extension: "hosting", Resource: sdk.Resource{Kind: "server", ID: id, Attrs: map[string]string{"region": region, "status": "running"}}}
	}
	return Names{
		Resources: []route.Resource{srv("web-1", "eu-west"), srv("web-2", "eu-west"), srv("db-1", "us-east"),
			{Extension: "hosting", Resource: sdk.Resource{Kind: "zone", ID: "acme.test"}}},
		Members: []sdk.Member{{ID: "alice"}, {ID: "bob"}},
		Catalog: []route.ToolSpec{
			{ID: "hosting.restart_server", Name: "restart_server", Keywords: []string{"reboot"}, Params: []route.Param{{Name: "server", Resource: "server", Required: true}}},
			{ID: "hosting.list_servers", Name: "list_servers", Description: "List the servers"},
			{ID: "tasks.list_tasks", Name: "list_tasks", Description: "List tasks"},
		},
	}
}

// DIA-01 DIA-02 DIA-03: how a turn reads against the state.
func TestFollow(t *testing.T) {
	pending := State{Pending: &Pending{Text: "restart the web server", Tool: "hosting.restart_server", Question: "Which server do you mean: web-1 or web-2?", Options: options("Which server do you mean: web-1 or web-2?")}}
	typeQ := State{Pending: &Pending{Text: "point api.acme.test at 203.0.113.50", Tool: "hosting.add_dns_record", Question: "Which type: A, AAAA, CNAME, MX or TXT?", Options: options("Which type: A, AAAA, CNAME, MX or TXT?")}}
	last := State{Last: &Request{Text: "how is web-1 doing? cpu and memory please", Tool: "hosting.server_metrics"}}
	mine := State{Last: &Request{Text: "list my tasks", Tool: "tasks.list_tasks"}}
	restart := State{Last: &Request{Text: "restart web-1", Tool: "hosting.restart_server"}}
	tests := []struct {
		state State
		text  string
		kind  Kind
		want  string
		drop  bool
	}{
		{pending, "web-1", Answer, "restart the web server web-1", false},
		{pending, "the second one", Answer, "restart the web server web-2", false},
		{pending, "WEB2", Answer, "restart the web server web-2", false},
		{typeQ, "A", Answer, "point api.acme.test at 203.0.113.50 A", false},
		{pending, "list the servers", NewRequest, "list the servers", true},
		{pending, "never mind", Dismiss, "never mind", false},
		{last, "what about web-2?", FollowUp, "how is web-2 doing? cpu and memory please", false},
		{last, "and db-1?", FollowUp, "how is db-1 doing? cpu and memory please", false},
		{last, "and the weather?", NewRequest, "and the weather?", false},
		{mine, "what about alice?", FollowUp, "list alice's tasks", false},
		{restart, "stop it", FollowUp, "stop web-1", false},
		{State{}, "yes", Confirm, "yes", false},
		{State{}, "Go ahead!", Confirm, "Go ahead!", false},
		{State{}, "reject that", Reject, "reject that", false},
		{State{}, "hi, what can you do?", Greeting, "hi, what can you do?", false},
		{State{}, "thanks!", Thanks, "thanks!", false},
		{State{}, "yes restart web-2", NewRequest, "yes restart web-2", false},
	}
	for _, tc := range tests {
		r := Follow(tc.state, tc.text, names())
		if r.Kind != tc.kind || r.Text != tc.want || r.Dropped != tc.drop {
			t.Errorf("%q: got %+v, want kind %d %q dropped %v", tc.text, r, tc.kind, tc.want, tc.drop)
		}
	}
}

// DIA-05: names the tenant does not have.
func TestUnknownName(t *testing.T) {
	tests := []struct{ text, want string }{
		{"show globex.test dns records", "globex.test"},
		{"restart gx-web-1", "gx-web-1"},
		{"what tasks does dave have?", "dave"},
		{"show dave's tasks", "dave"},
		{"show acme.test dns records", ""},
		{"point api.acme.test at 203.0.113.50", ""},
		{"what's the status of web-1", ""},
		{"show bob's tasks", ""},
		{"hosting.restart_server {}", ""},
	}
	for _, tc := range tests {
		if got := UnknownName(tc.text, names(), nil, true); got != tc.want {
			t.Errorf("%q: %q, want %q", tc.text, got, tc.want)
		}
	}
	if got := UnknownName("add a CNAME www pointing to shop.example.com", names(), []string{"shop.example.com"}, true); got != "" {
		t.Errorf("a value of the plan was taken for a name: %q", got)
	}
}
