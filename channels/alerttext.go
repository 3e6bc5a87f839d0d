package channels

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

var alertMarks = map[string]string{"critical": "🔴", "warning": "🟠", "info": "🔵"}

// AlertText renders an alert card as text: its severity, state, title,
// how often it fired, the series it rests on and, with commands, the
// typed acts that decide it (for a channel without buttons).
func AlertText(c *session.AlertCard, commands bool) string {
	var b strings.Builder
	mark := alertMarks[c.Severity]
	if mark == "" {
		mark = "⚠"
	}
	fmt.Fprintf(&b, "%s %s alert — %s\n", mark, strings.ToUpper(c.Severity), c.Title)
	if c.Summary != "" {
		fmt.Fprintf(&b, "  %s\n", c.Summary)
	}
	fmt.Fprintf(&b, "  %s · %s · fired %d× since %s", c.ID, AlertStateLine(c), c.Count, c.Since.UTC().Format("Jan 2 15:04 MST"))
	if c.Resource != "" {
		fmt.Fprintf(&b, " · %s", c.Resource)
	}
	if line := SeriesLine(c); line != "" {
		fmt.Fprintf(&b, "\n  %s", line)
	}
	if commands && c.State != session.AlertResolved {
		switch c.State {
		case session.AlertAcknowledged:
			fmt.Fprintf(&b, "\n  Type: unack %s · resolve %s", c.ID, c.ID)
		default:
			fmt.Fprintf(&b, "\n  Type: ack %s · snooze %s 30m · resolve %s · escalate %s", c.ID, c.ID, c.ID, c.ID)
		}
	}
	if c.Fix != "" {
		fmt.Fprintf(&b, "\n  A fix is proposed as %s: confirming it is a separate decision.", c.Fix)
	}
	return b.String()
}

// AlertStateLine is an alert's state as people read it.
func AlertStateLine(c *session.AlertCard) string {
	switch c.State {
	case session.AlertAcknowledged:
		return "acknowledged by " + string(c.AckedBy)
	case session.AlertSnoozed:
		if c.SnoozedUntil != nil {
			return "snoozed until " + c.SnoozedUntil.UTC().Format("15:04 MST")
		}
	case session.AlertResolved:
		return "resolved"
	}
	return string(c.State)
}

// SeriesLine is the recorded observations as a spark line with the last
// value: "▁▂▅█ 97.5%" (empty without a series).
func SeriesLine(c *session.AlertCard) string {
	if len(c.Series) == 0 {
		return ""
	}
	lo, hi := c.Series[0].Value, c.Series[0].Value
	for _, p := range c.Series {
		lo, hi = min(lo, p.Value), max(hi, p.Value)
	}
	bars := []rune("▁▂▃▄▅▆▇█")
	var b strings.Builder
	for _, p := range c.Series {
		i := 0
		if hi > lo {
			i = int((p.Value - lo) / (hi - lo) * float64(len(bars)-1))
		}
		b.WriteRune(bars[i])
	}
	last := c.Series[len(c.Series)-1]
	return fmt.Sprintf("%s %g%s (last at %s)", b.String(), last.Value, c.Unit, last.At.UTC().Format(time.TimeOnly))
}

// ActDone is the short answer to an act that was carried out.
func ActDone(act session.AlertAct, c *session.AlertCard) string {
	switch act.Kind {
	case session.AlertAck:
		return fmt.Sprintf("✓ Acknowledged %s: pages stopped for everyone.", c.ID)
	case session.AlertUnack:
		return fmt.Sprintf("↺ %s is firing again; on-call is paged.", c.ID)
	case session.AlertSnooze:
		if c.SnoozedUntil == nil {
			return fmt.Sprintf("⏸ %s snoozed.", c.ID)
		}
		return fmt.Sprintf("⏸ %s snoozed until %s.", c.ID, c.SnoozedUntil.UTC().Format("15:04 MST"))
	case session.AlertResolve:
		return fmt.Sprintf("✔ %s resolved.", c.ID)
	case session.AlertEscalate:
		return fmt.Sprintf("⇧ %s escalated to the next level.", c.ID)
	}
	return string(c.State)
}
