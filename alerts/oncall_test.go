package alerts

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/internal/strict"
	"github.com/steward-os/steward/session"
)

func TestScheduleRotationAndOverrides(t *testing.T) {
	s := Schedule{Rotation: []string{"alice", "bob", "carol"}, Start: t0, Shift: d("24h"),
		Overrides: []Override{{Actor: "dave", From: t0.Add(30 * time.Hour), To: t0.Add(32 * time.Hour)}}}
	for _, c := range []struct {
		at   time.Duration
		want session.ActorID
	}{
		{0, "alice"}, {23 * time.Hour, "alice"}, {24 * time.Hour, "bob"}, {30 * time.Hour, "dave"},
		{32 * time.Hour, "bob"}, {48 * time.Hour, "carol"}, {72 * time.Hour, "alice"}, {-time.Hour, "carol"},
	} {
		if got := s.OnCall(t0.Add(c.at)); got != c.want {
			t.Errorf("OnCall(t0%+v) = %s, want %s", c.at, got, c.want)
		}
	}
}

func TestQuietHours(t *testing.T) {
	q := &Quiet{From: "22:00", To: "07:00", Zone: "Europe/Berlin"} // UTC+1 in March
	day := time.Date(2026, 3, 2, 0, 0, 0, 0, time.UTC)
	for _, c := range []struct {
		utc     string
		quiet   bool
		endsUTC string
	}{
		{"20:59", false, ""}, {"21:00", true, "06:00"}, {"05:59", true, "06:00"}, {"06:00", false, ""}, {"12:00", false, ""},
	} {
		hh, _ := clock(c.utc)
		at := day.Add(time.Duration(hh) * time.Minute)
		quiet, end := q.Holds(at)
		if quiet != c.quiet || (quiet && end.Format("15:04") != c.endsUTC) {
			t.Errorf("Holds(%s UTC) = %v until %s; want %v until %s", c.utc, quiet, end.Format("15:04"), c.quiet, c.endsUTC)
		}
	}
	if quiet, _ := (*Quiet)(nil).Holds(day); quiet {
		t.Error("no quiet hours held")
	}
}

func TestConfigStrictAndValidated(t *testing.T) {
	for _, c := range []struct{ name, yaml, want string }{
		{"unknown key", "tenants: {acme: {polcy: x}}", "polcy"},
		{"unknown policy", "tenants: {acme: {policy: nope}}", "policy"},
		{"bad target", "tenants: {acme: {policies: {p: {levels: [{targets: [team:x]}]}}, policy: p}}", "target"},
		{"no schedule", "tenants: {acme: {policies: {p: {levels: [{targets: [schedule:none]}]}}, policy: p}}", "schedule:none"},
		{"bad severity", "tenants: {acme: {users: {bob: {rules: {urgent: [{channel: slack}]}}}}}", "urgent"},
		{"bad quiet", "tenants: {acme: {users: {bob: {quiet_hours: {from: '25:00', to: '07:00'}}}}}", "quiet_hours.from"},
		{"bad zone", "tenants: {acme: {users: {bob: {quiet_hours: {from: '22:00', to: '07:00', zone: Mars/Base}}}}}", "zone"},
		{"empty rotation", "tenants: {acme: {schedules: {p: {shift: 24h}}}}", "rotation"},
	} {
		t.Run(c.name, func(t *testing.T) {
			var cfg Config
			err := strict.Decode([]byte(c.yaml), &cfg)
			if err == nil {
				err = cfg.Validate()
			}
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want one naming %q", err, c.want)
			}
		})
	}
	var ok Config
	if err := strict.Decode([]byte("flap_window: 5m\ntenants: {acme: {}}"), &ok); err != nil || ok.Validate() != nil {
		t.Fatalf("a minimal block: %v", err)
	}
}
