package session

import (
	"context"
	"regexp"
	"strings"
	"time"
)

// Alerts as channels see them: the card that pages a person, the acts a
// person may take on it (a button, a typed "ack", the API), and the
// service that carries those acts out. The alerts package provides the
// service; channels render the card and hand acts to it, and neither
// imports the other.

// AlertID names an alert episode ("al_…").
type AlertID string

// AlertState is where an alert episode is in its life.
type AlertState string

// Alert states.
const (
	AlertFiring       AlertState = "firing"
	AlertAcknowledged AlertState = "acknowledged"
	AlertSnoozed      AlertState = "snoozed"
	AlertResolved     AlertState = "resolved"
)

// Open reports whether an alert in this state is not resolved yet.
func (s AlertState) Open() bool { return s != AlertResolved && s != "" }

// AlertActKind is what a person does to an alert.
type AlertActKind string

// Alert acts.
const (
	AlertAck      AlertActKind = "ack"
	AlertUnack    AlertActKind = "unack"
	AlertSnooze   AlertActKind = "snooze"
	AlertResolve  AlertActKind = "resolve"
	AlertEscalate AlertActKind = "escalate"
)

// AlertPoint is one recorded observation of the series an alert rests
// on: a ledger fact's value, never a narrated one.
type AlertPoint struct {
	At    time.Time `json:"at"`
	Value float64   `json:"value"`
	Fact  int64     `json:"fact"`
}

// AlertCard shows one alert episode. A card with Edit set updates the
// copies already posted (a repeat, an ack, a resolve) and is never posted
// as a new message where no copy exists.
type AlertCard struct {
	ID       AlertID    `json:"alert_id"`
	Severity string     `json:"severity"`
	State    AlertState `json:"state"`
	Title    string     `json:"title"`
	Summary  string     `json:"summary,omitempty"`
	Source   string     `json:"source"`
	Resource string     `json:"resource,omitempty"`
	// Count is how many times the condition fired in this episode.
	Count        int        `json:"count"`
	Since        time.Time  `json:"since"`
	AckedBy      ActorID    `json:"acked_by,omitempty"`
	SnoozedUntil *time.Time `json:"snoozed_until,omitempty"`
	// Series is the observations the alert rests on, oldest first.
	Series []AlertPoint `json:"series,omitempty"`
	Unit   string       `json:"unit,omitempty"`
	// Fix names the proposal of a suggested fix, decided like any other.
	Fix ProposalID `json:"fix,omitempty"`
	// Step is the notification step that posted this copy (its
	// idempotency key); empty on an edit.
	Step string `json:"step,omitempty"`
	Edit bool   `json:"edit,omitempty"`
}

func (*AlertCard) partType() string { return "alert" }

// Open reports whether the alert still wants attention.
func (c *AlertCard) Open() bool { return c.State == AlertFiring || c.State == AlertSnoozed }

// AlertAct is one act on an alert. Alert may be empty in a typed command
// ("ack"): the newest open alert that paged the actor is meant.
type AlertAct struct {
	Kind  AlertActKind  `json:"kind"`
	Alert AlertID       `json:"alert,omitempty"`
	For   time.Duration `json:"for,omitempty"` // snooze only
	From  Address       `json:"from"`
}

// Alerts carries out people's acts on alerts.
type Alerts interface {
	// Act applies an act of the actor and returns the card as it now
	// stands. An alert of another tenant is not_found.
	Act(ctx context.Context, a Actor, act AlertAct) (AlertCard, error)
}

// MaxSnooze bounds a snooze: a snooze is always time-limited.
const MaxSnooze = 24 * time.Hour

var reAlertCmd = regexp.MustCompile(`(?i)^\s*(ack|acknowledge|unack|resolve|escalate|snooze)(?:\s+(al_[a-z2-7]+))?(?:\s+(\d{1,4})\s*(m|min|mins|minutes|h|hr|hours))?\s*[.!]?\s*$`)

// ParseAlertCommand recognises a typed act on an alert: "ack", "ack
// al_xxx", "unack", "resolve", "escalate", "snooze 30m", "snooze al_xxx
// 2h". A snooze needs a duration (1 minute to MaxSnooze); the other acts
// take none.
func ParseAlertCommand(text string) (AlertAct, bool) {
	m := reAlertCmd.FindStringSubmatch(text)
	if m == nil {
		return AlertAct{}, false
	}
	kind := AlertActKind(strings.ToLower(m[1]))
	if kind == "acknowledge" {
		kind = AlertAck
	}
	act := AlertAct{Kind: kind, Alert: AlertID(strings.ToLower(m[2]))}
	if kind != AlertSnooze {
		if m[3] != "" {
			return AlertAct{}, false
		}
		return act, true
	}
	if m[3] == "" {
		return AlertAct{}, false
	}
	n := 0
	for _, r := range m[3] {
		n = n*10 + int(r-'0')
	}
	unit := time.Minute
	if strings.HasPrefix(strings.ToLower(m[4]), "h") {
		unit = time.Hour
	}
	act.For = time.Duration(n) * unit
	if act.For < time.Minute || act.For > MaxSnooze {
		return AlertAct{}, false
	}
	return act, true
}
