package session_test

import (
	"testing"
	"time"

	"github.com/steward-os/steward/session"
)

// APR-01: the rule syntax of approval policies.
func TestParseApprovalRule(t *testing.T) {
	for _, c := range []struct {
		in     string
		want   session.ApprovalRule
		needed int
		bad    bool
	}{
		{in: "self", want: session.ApprovalRule{Kind: "self"}, needed: 0},
		{in: "other", want: session.ApprovalRule{Kind: "other"}, needed: 1},
		{in: "manager", want: session.ApprovalRule{Kind: "manager"}, needed: 1},
		{in: "role:admin", want: session.ApprovalRule{Kind: "role", Role: "admin"}, needed: 1},
		{in: "n_of:2:admin", want: session.ApprovalRule{Kind: "n_of", N: 2, Role: "admin"}, needed: 2},
		{in: "boss", bad: true},
		{in: "role:", bad: true},
		{in: "n_of:0:admin", bad: true},
		{in: "n_of:10:admin", bad: true},
		{in: "n_of:2", bad: true},
		{in: "other:x", bad: true},
	} {
		r, err := session.ParseApprovalRule(c.in)
		if c.bad {
			if err == nil {
				t.Errorf("%q accepted as %+v", c.in, r)
			}
			continue
		}
		if err != nil || r != c.want || r.Needed() != c.needed || r.String() != c.in {
			t.Errorf("%q: %+v (%d, %q) %v", c.in, r, r.Needed(), r.String(), err)
		}
	}
}

// APR-03: the typed forms of a grant and of its revocation.
func TestParseGrant(t *testing.T) {
	for _, c := range []struct{ in, grant string }{
		{"allow p_abc234 for this session", session.GrantSession},
		{"Allow P_ABC234 for 1h", "1h"},
		{"allow p_abc234 30m", "30m"},
		{"allow p_abc234 once", session.GrantOnce},
	} {
		a, ok := session.ParseDecision(c.in)
		if !ok || a.Kind != session.ActionAccept || a.Proposal != "p_abc234" || a.Grant != c.grant {
			t.Errorf("%q: %+v %v", c.in, a, ok)
		}
	}
	for _, in := range []string{"allow p_abc234 forever", "allow everything", "confirm p_abc234 for this session x"} {
		if a, ok := session.ParseGrant(in); ok {
			t.Errorf("%q parsed as a grant: %+v", in, a)
		}
	}
	for _, in := range []string{"stop auto-approving", "Stop auto approving.", "revoke my grants"} {
		if !session.IsStopGrants(in) {
			t.Errorf("%q not recognised", in)
		}
	}
	if session.IsStopGrants("stop web-2") {
		t.Error(`"stop web-2" taken for a revocation`)
	}
	for g, want := range map[string]time.Duration{"session": 0, "once": 0, "1h": time.Hour, "90m": 90 * time.Minute} {
		if d, ok := session.GrantWindow(g); !ok || d != want {
			t.Errorf("%q: %s %v", g, d, ok)
		}
	}
	for _, g := range []string{"30s", "48h", "soon"} {
		if _, ok := session.GrantWindow(g); ok {
			t.Errorf("%q accepted", g)
		}
	}
}
