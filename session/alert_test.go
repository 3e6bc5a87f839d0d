package session

import (
	"testing"
	"time"
)

func TestParseAlertCommand(t *testing.T) {
	for _, c := range []struct {
		in   string
		ok   bool
		want AlertAct
	}{
		{"ack", true, AlertAct{Kind: AlertAck}},
		{"  ACK al_abc234 ", true, AlertAct{Kind: AlertAck, Alert: "al_abc234"}},
		{"acknowledge", true, AlertAct{Kind: AlertAck}},
		{"unack", true, AlertAct{Kind: AlertUnack}},
		{"resolve al_x", true, AlertAct{Kind: AlertResolve, Alert: "al_x"}},
		{"escalate", true, AlertAct{Kind: AlertEscalate}},
		{"snooze 30m", true, AlertAct{Kind: AlertSnooze, For: 30 * time.Minute}},
		{"snooze al_q 2h", true, AlertAct{Kind: AlertSnooze, Alert: "al_q", For: 2 * time.Hour}},
		{"snooze 2 hours", true, AlertAct{Kind: AlertSnooze, For: 2 * time.Hour}},
		{"snooze", false, AlertAct{}},         // always time-limited
		{"snooze 48h", false, AlertAct{}},     // over the bound
		{"snooze 0m", false, AlertAct{}},      // under it
		{"ack 30m", false, AlertAct{}},        // no duration but for snooze
		{"ack the server", false, AlertAct{}}, // a request, not a command
		{"restart web-1", false, AlertAct{}},
	} {
		got, ok := ParseAlertCommand(c.in)
		if ok != c.ok || got != c.want {
			t.Errorf("ParseAlertCommand(%q) = %+v, %v; want %+v, %v", c.in, got, ok, c.want, c.ok)
		}
	}
}

func TestAlertCardRoundTrip(t *testing.T) {
	in := Outbound{Turn: "t", Parts: []Part{&AlertCard{ID: "al_x", Severity: "critical", State: AlertFiring, Title: "down", Count: 2,
		Series: []AlertPoint{{Value: 1.5, Fact: 3}}}}}
	b, err := in.MarshalJSON()
	if err != nil {
		t.Fatal(err)
	}
	var out Outbound
	if err := out.UnmarshalJSON(b); err != nil {
		t.Fatal(err)
	}
	c, ok := out.Parts[0].(*AlertCard)
	if !ok || c.ID != "al_x" || c.Count != 2 || len(c.Series) != 1 || c.Series[0].Value != 1.5 || PartType(c) != "alert" {
		t.Fatalf("round trip: %#v", out.Parts[0])
	}
}
