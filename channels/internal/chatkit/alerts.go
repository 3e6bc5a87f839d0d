package chatkit

import (
	"context"
	"errors"
	"strings"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Alert cards: the acts a person takes on an alert (a typed "ack", a
// button), handed to the core's alerts service, and the delivery of alert
// cards: posted with their buttons, and edited in place, on every copy,
// when the alert changes. An edit never posts where no copy exists, and a
// page delivered again after a restart is not posted twice.

// AlertPoster shows alert cards with buttons and edits them in place.
type AlertPoster interface {
	// PostAlert posts a card at an address and returns the platform's
	// reference to its message; with ref set, it edits that message.
	PostAlert(ctx context.Context, to session.Address, c *session.AlertCard, ref string) (string, error)
}

// SnoozeButton is how long the Snooze button snoozes.
const SnoozeButton = 30 * time.Minute

// alertCodes are the button payloads' act letters.
var alertCodes = map[session.AlertActKind]string{
	session.AlertAck: "a", session.AlertUnack: "u", session.AlertSnooze: "s", session.AlertResolve: "r", session.AlertEscalate: "e",
}

// AlertButtonData is the payload of an alert card's button: "al:<act>:<id>".
func AlertButtonData(kind session.AlertActKind, id session.AlertID) string {
	return "al:" + alertCodes[kind] + ":" + string(id)
}

// ParseAlertButton reads an alert button's payload.
func ParseAlertButton(s string) (session.AlertAct, bool) {
	rest, ok := strings.CutPrefix(s, "al:")
	code, id, ok2 := strings.Cut(rest, ":")
	if !ok || !ok2 || !strings.HasPrefix(id, "al_") || len(s) > 64 {
		return session.AlertAct{}, false
	}
	for kind, c := range alertCodes {
		if c == code {
			act := session.AlertAct{Kind: kind, Alert: session.AlertID(id)}
			if kind == session.AlertSnooze {
				act.For = SnoozeButton
			}
			return act, true
		}
	}
	return session.AlertAct{}, false
}

// AlertButtons are the acts a card offers in its state, in order.
func AlertButtons(c *session.AlertCard) []session.AlertActKind {
	switch c.State {
	case session.AlertFiring:
		return []session.AlertActKind{session.AlertAck, session.AlertSnooze, session.AlertResolve, session.AlertEscalate}
	case session.AlertSnoozed:
		return []session.AlertActKind{session.AlertAck, session.AlertResolve}
	case session.AlertAcknowledged:
		return []session.AlertActKind{session.AlertUnack, session.AlertResolve}
	}
	return nil
}

// AlertLabel is a button's label.
func AlertLabel(k session.AlertActKind) string {
	switch k {
	case session.AlertAck:
		return "✓ Ack"
	case session.AlertUnack:
		return "↺ Unack"
	case session.AlertSnooze:
		return "⏸ Snooze 30m"
	case session.AlertResolve:
		return "✔ Resolve"
	case session.AlertEscalate:
		return "⇧ Escalate"
	}
	return string(k)
}

// AlertAct hands an act of a linked account (a typed command or a button)
// to the alerts service and answers with what it did.
func (b *Bridge) AlertAct(ctx context.Context, from session.Address, act session.AlertAct) session.Outbound {
	from.Channel = b.o.Channel
	a, ok := b.Actor(ctx, from.Account)
	if !ok {
		return session.Outbound{To: from, Parts: b.unknown(ctx, from, "")}
	}
	if b.core.Alerts == nil {
		return session.Outbound{To: from, Parts: []session.Part{&session.Error{Code: session.CodeNotFound, Message: "No alerts are configured here."}}}
	}
	act.From = from
	c, err := b.core.Alerts.Act(ctx, a, act)
	if err != nil {
		return session.Outbound{To: from, Parts: []session.Part{session.ErrorPart(err)}}
	}
	return session.Outbound{To: from, Parts: []session.Part{&session.Text{Text: channels.ActDone(act, &c)}}}
}

// alertKey is the mark that remembers the message showing an alert in a
// conversation: "ref step".
func (b *Bridge) alertKey(id session.AlertID, chat string) string {
	return "alertmsg:" + string(b.o.Channel) + ":" + string(id) + ":" + chat
}

// deliverAlerts posts or edits the alert cards of an outbound and returns
// what is left of it for Deliver (nil parts: nothing left). A Deliverer
// that is not an AlertPoster gets new cards as text and no edits.
func (b *Bridge) deliverAlerts(ctx context.Context, d Deliverer, to session.Address, out session.Outbound) (session.Outbound, error) {
	poster, buttons := d.(AlertPoster)
	rest := out
	rest.Parts = nil
	var errs []error
	for _, p := range out.Parts {
		c, ok := p.(*session.AlertCard)
		switch {
		case !ok:
			rest.Parts = append(rest.Parts, p)
		case !buttons && !c.Edit:
			rest.Parts = append(rest.Parts, p)
		case buttons:
			errs = append(errs, b.postAlert(ctx, poster, to, c))
		}
	}
	return rest, errors.Join(errs...)
}

func (b *Bridge) postAlert(ctx context.Context, poster AlertPoster, to session.Address, c *session.AlertCard) error {
	key := b.alertKey(c.ID, to.Chat)
	v, _, err := b.core.Deliveries.Mark(ctx, key)
	if err != nil {
		return err
	}
	ref, step, _ := strings.Cut(v, " ")
	switch {
	case c.Edit && ref == "":
		return nil // no copy here to edit
	case !c.Edit && c.Step != "" && step == c.Step:
		return nil // posted before a restart: never twice
	case !c.Edit:
		ref = "" // a page: a new message, so it notifies
	}
	got, err := Retry(ctx, b.o.Log, "post alert", func(ctx context.Context) (string, error) { return poster.PostAlert(ctx, to, c, ref) })
	if err != nil {
		return err
	}
	if !c.Edit {
		step = c.Step
	}
	return b.core.Deliveries.SetMark(context.WithoutCancel(ctx), key, got+" "+step)
}
