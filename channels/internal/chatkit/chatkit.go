// Package chatkit is what the chat-platform adapters (Telegram, Slack,
// Discord) share, so that each adapter is only its platform's wire: how a
// message, a button press and a delivery look there.
//
// Contract. A Bridge serves one bot account of one platform for one
// tenant, under one channel name ("telegram", "slack.ops"). It maps a
// platform account to an actor through the core's links (never by
// assertion), answers an account that is not linked with how to link it
// (or links it when it sends "link ABCD-EFGH"), hands messages and button
// presses to the kernel as turns with the platform's event id as dedupe
// key, and delivers the events addressed to its channel from the core's
// feed, keeping a durable cursor so nothing published is skipped across a
// restart (delivery is at least once: an event whose delivery was cut off
// by a crash is delivered again). It remembers which platform message shows
// each proposal so the adapter can edit it in place when the proposal ends,
// however it ended. Sends honour a platform's retry-after (RetryAfter) and
// never drop a message for a rate limit.
//
// Besides the Bridge, an adapter takes from here what would otherwise be
// written three times: its options' defaults and its bridge (Open); what
// runs beside its receiving (Serve: deliveries and card edits); the
// checks every webhook request meets, in one order, with one form of
// refusal (Accept, Decode); and the cutting of a reply into the
// platform's messages (Render, Fit). It is internal to channels/: only
// the platform adapters use it.
package chatkit

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Core is the core as a chat adapter sees it (declared in package
// channels, for the wiring that passes it): turns, identity links and
// deliveries.
type Core = channels.Core

// Options configure a Bridge.
type Options struct {
	// Channel is the channel name in addresses, links and audit records.
	Channel session.ChannelID
	// Platform is the platform's name as people know it ("Telegram").
	Platform string
	Tenant   session.TenantID
	Log      *slog.Logger
	Now      func() time.Time
}

// Bridge connects one platform account to the core.
type Bridge struct {
	core Core
	o    Options
	seen *Recent
}

// New returns a Bridge.
func New(core Core, o Options) *Bridge {
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Platform == "" {
		o.Platform = string(o.Channel)
	}
	return &Bridge{core: core, o: o, seen: NewRecent(4096)}
}

// Channel is the bridge's channel name.
func (b *Bridge) Channel() session.ChannelID { return b.o.Channel }

// Tenant is the tenant the bridge serves.
func (b *Bridge) Tenant() session.TenantID { return b.o.Tenant }

// Log is the bridge's logger.
func (b *Bridge) Log() *slog.Logger { return b.o.Log }

// Now is the bridge's clock.
func (b *Bridge) Now() time.Time { return b.o.Now() }

// Actor returns the actor a platform account is linked to.
func (b *Bridge) Actor(ctx context.Context, account string) (session.Actor, bool) {
	return b.core.Identity.ActorFor(ctx, b.o.Tenant, b.o.Channel, account)
}

// Seen reports whether a platform event id was handled by this process
// already, and records it. Adapters use it for events that never reach a
// turn (an unknown sender, a retried webhook); turns are deduped by the
// kernel through Inbound.ID, durably.
func (b *Bridge) Seen(id string) bool { return id != "" && b.seen.Seen(id) }

// Message handles text a platform account sent: a turn when the account is
// linked; otherwise a link (for "link ABCD-EFGH") or the answer saying how
// to link. id is the platform's event id, the dedupe key. The answer's
// Decided names the proposals the turn settled (a typed "confirm p_…"),
// whose cards the adapter edits.
func (b *Bridge) Message(ctx context.Context, from session.Address, id, text string) session.Outbound {
	from.Channel = b.o.Channel
	a, ok := b.Actor(ctx, from.Account)
	if !ok {
		return session.Outbound{To: from, Parts: b.unknown(ctx, from, text)}
	}
	if act, ok := session.ParseAlertCommand(text); ok && b.core.Alerts != nil { // "ack", "snooze 30m" (alerts.go)
		return b.AlertAct(ctx, from, act)
	}
	return b.turn(ctx, a, session.Inbound{ID: id, From: from, Text: text, At: b.o.Now()})
}

// turn hands an inbound to the core; a turn that could not be recorded
// answers with its error.
func (b *Bridge) turn(ctx context.Context, a session.Actor, in session.Inbound) session.Outbound {
	out, err := b.core.Turns.Handle(ctx, a, in)
	if err != nil {
		out.Parts = append(out.Parts, session.ErrorPart(err))
	}
	return out
}

// Decide handles a button press on a proposal card. The kernel checks
// that the presser is the proposal's actor (not_your_proposal otherwise).
func (b *Bridge) Decide(ctx context.Context, from session.Address, id string, p session.ProposalID, accept bool) session.Outbound {
	from.Channel = b.o.Channel
	a, ok := b.Actor(ctx, from.Account)
	if !ok {
		return session.Outbound{To: from, Parts: b.unknown(ctx, from, "")}
	}
	kind := session.ActionReject
	if accept {
		kind = session.ActionAccept
	}
	return b.turn(ctx, a, session.Inbound{ID: id, From: from, Action: &session.Action{Kind: kind, Proposal: p}, At: b.o.Now()})
}

// Refuse records a request the adapter turned away (a bad signature, a
// malformed payload) in the audit trail.
// The record is written in the bridge's tenant, as actor "<channel>".
func (b *Bridge) Refuse(ctx context.Context, code, detail string) {
	b.refuseFrom(ctx, "", code, detail)
}

// refuseFrom is Refuse for a request from a client address (a webhook's).
func (b *Bridge) refuseFrom(ctx context.Context, from, code, detail string) {
	b.core.Turns.Refuse(ctx, session.Refusal{Actor: &session.Actor{ID: session.ActorID(b.o.Channel), Tenant: b.o.Tenant},
		Channel: b.o.Channel, From: from, Code: code, Detail: detail})
}

func (b *Bridge) unknown(ctx context.Context, from session.Address, text string) []session.Part {
	if code, ok := session.LinkRedeemCode(text); ok {
		a, err := b.core.Identity.Redeem(ctx, b.o.Tenant, b.o.Channel, from.Account, code)
		if err != nil {
			return []session.Part{session.ErrorPart(err)}
		}
		return []session.Part{&session.Text{Text: fmt.Sprintf("Linked: this %s account now acts as %s. Ask me anything, for example \"list servers\".", b.o.Platform, a.ID)}}
	}
	who := session.Actor{ID: session.ActorID(string(b.o.Channel) + ":" + from.Account), Tenant: b.o.Tenant}
	b.core.Turns.Refuse(ctx, session.Refusal{Actor: &who, Channel: b.o.Channel, Code: session.CodeUnknownSender, Detail: "account " + from.Account + " is not linked"})
	return []session.Part{&session.Error{Code: session.CodeUnknownSender, Message: UnknownSenderMessage(b.o.Platform)}}
}

// UnknownSenderMessage is the answer to an account that is not linked.
func UnknownSenderMessage(platform string) string {
	return fmt.Sprintf("I don't know who you are yet, so I can't act for you. To link this %s account: where you are already signed in (the web page or the API), send \"link my account\"; you get a code such as ABCD-EFGH. Then send me \"link ABCD-EFGH\" here within 10 minutes.", platform)
}

// ---- deliveries ----

// Deliverer puts events on a platform.
type Deliverer interface {
	// Deliver shows an outbound at an address of this channel.
	Deliver(ctx context.Context, to session.Address, out session.Outbound) error
	// Direct returns the address of a direct conversation with a platform
	// account, for events addressed to every channel of a session.
	Direct(ctx context.Context, account string) (session.Address, error)
}

// Serve runs what a bot does besides answering: it delivers the core's
// events (Pump, started again a second after it fails) and edits the
// cards of ended proposals every interval (Watch), until ctx ends. The
// returned function waits for both to stop.
func (b *Bridge) Serve(ctx context.Context, d Deliverer, every time.Duration, edit func(context.Context, Ended) error) (wait func()) {
	var wg sync.WaitGroup
	wg.Go(func() {
		for ctx.Err() == nil {
			if err := b.Pump(ctx, d); err != nil {
				b.o.Log.ErrorContext(ctx, "deliveries", "channel", b.o.Channel, "err", err)
				Sleep(ctx, time.Second)
			}
		}
	})
	wg.Go(func() { b.Watch(ctx, every, edit) })
	return wg.Wait
}

func (b *Bridge) cursorKey() string { return "cursor:" + string(b.o.Channel) }

// Pump delivers the events addressed to this channel until ctx ends: those
// whose address names the channel, and those with no address (delivery
// "all") to each account of the session's actor linked on this channel.
// The cursor is saved after each event; the first run starts at the
// newest event, so history is not replayed.
func (b *Bridge) Pump(ctx context.Context, d Deliverer) error {
	cur, err := b.cursor(ctx)
	if err != nil {
		return err
	}
	for ctx.Err() == nil {
		evs, err := b.core.Deliveries.Feed(ctx, cur, 25*time.Second)
		if err != nil {
			if ctx.Err() != nil {
				break
			}
			b.o.Log.ErrorContext(ctx, "read feed", "channel", b.o.Channel, "err", err)
			Sleep(ctx, time.Second)
			continue
		}
		for _, ev := range evs {
			if err := b.deliverEvent(ctx, d, ev); err != nil {
				if ctx.Err() != nil {
					return nil // not acknowledged: delivered after a restart
				}
				b.o.Log.ErrorContext(ctx, "delivery given up", "channel", b.o.Channel, "event", ev.ID, "err", err)
			}
			cur = ev.ID
			if err := b.core.Deliveries.SetMark(context.WithoutCancel(ctx), b.cursorKey(), fmt.Sprint(cur)); err != nil {
				b.o.Log.ErrorContext(ctx, "save cursor", "channel", b.o.Channel, "err", err)
			}
		}
	}
	return nil
}

func (b *Bridge) cursor(ctx context.Context) (int64, error) {
	v, ok, err := b.core.Deliveries.Mark(ctx, b.cursorKey())
	if err != nil {
		return 0, fmt.Errorf("read cursor: %w", err)
	}
	if ok {
		var n int64
		if _, err := fmt.Sscan(v, &n); err == nil {
			return n, nil
		}
	}
	n, err := b.core.Deliveries.LastEventID(ctx)
	if err != nil {
		return 0, fmt.Errorf("newest event: %w", err)
	}
	if err := b.core.Deliveries.SetMark(ctx, b.cursorKey(), fmt.Sprint(n)); err != nil {
		return 0, fmt.Errorf("save cursor: %w", err)
	}
	return n, nil
}

// Targets returns where an event goes on this channel (none when it is
// not for this channel).
func (b *Bridge) Targets(ctx context.Context, d Deliverer, ev session.Event) ([]session.Address, session.Outbound, error) {
	out := ev.Out
	tenant, actor, ok := ParseSession(ev.Session)
	if !ok || tenant != b.o.Tenant || len(out.Parts) == 0 {
		return nil, out, nil
	}
	switch {
	case out.To.Channel == b.o.Channel && out.To.Chat != "":
		return []session.Address{out.To}, out, nil
	case out.To.Channel == "" || out.To.Channel == b.o.Channel:
		// No address (delivery "all"), or this channel without a
		// conversation (delivery "preferred:<channel>"): every account of
		// the actor linked here, in its direct conversation.
		if out.To.Account != "" {
			a, err := Retry(ctx, b.o.Log, "open direct conversation", func(ctx context.Context) (session.Address, error) { return d.Direct(ctx, out.To.Account) })
			if err != nil {
				return nil, out, err
			}
			a.Channel = b.o.Channel
			return []session.Address{a}, out, nil
		}
		links, err := b.core.Identity.Links(ctx, session.Actor{Tenant: tenant, ID: actor})
		if err != nil {
			return nil, out, fmt.Errorf("links: %w", err)
		}
		var to []session.Address
		for _, l := range links {
			if l.Channel != b.o.Channel {
				continue
			}
			a, err := Retry(ctx, b.o.Log, "open direct conversation", func(ctx context.Context) (session.Address, error) { return d.Direct(ctx, l.Account) })
			if err != nil {
				b.o.Log.ErrorContext(ctx, "direct conversation", "channel", b.o.Channel, "account", l.Account, "err", err)
				continue
			}
			a.Channel = b.o.Channel
			to = append(to, a)
		}
		return to, out, nil
	}
	return nil, out, nil
}

func (b *Bridge) deliverEvent(ctx context.Context, d Deliverer, ev session.Event) error {
	to, out, err := b.Targets(ctx, d, ev)
	if err != nil {
		return err
	}
	var errs []error
	for _, a := range to {
		rest, err := b.deliverAlerts(ctx, d, a, out) // alert cards posted or edited in place (alerts.go)
		if err != nil {
			errs = append(errs, err)
		}
		if len(rest.Parts) == 0 {
			continue
		}
		if _, err := Retry(ctx, b.o.Log, "deliver", func(ctx context.Context) (struct{}, error) { return struct{}{}, d.Deliver(ctx, a, rest) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// ParseSession splits a session id ("s:<tenant>:<actor>").
func ParseSession(sid session.SessionID) (session.TenantID, session.ActorID, bool) {
	rest, ok := strings.CutPrefix(string(sid), "s:")
	if !ok {
		return "", "", false
	}
	t, a, ok := strings.Cut(rest, ":")
	if !ok || t == "" || a == "" {
		return "", "", false
	}
	return session.TenantID(t), session.ActorID(a), true
}

// ---- proposal cards ----

type cardMark struct {
	Ref     string    `json:"ref"`
	Tenant  string    `json:"tenant"`
	Actor   string    `json:"actor"`
	Expires time.Time `json:"expires"`
}

func (b *Bridge) cardKey(p session.ProposalID) string {
	return "card:" + string(b.o.Channel) + ":" + string(p)
}

// RememberCard records which platform message shows a proposal (ref is the
// adapter's own form, such as "chat/message"). A proposal shown twice
// keeps its latest message.
func (b *Bridge) RememberCard(ctx context.Context, a session.Actor, c *session.ProposalCard, ref string) error {
	v, _ := json.Marshal(cardMark{Ref: ref, Tenant: string(a.Tenant), Actor: string(a.ID), Expires: c.ExpiresAt})
	return b.core.Deliveries.SetMark(ctx, b.cardKey(c.ID), string(v))
}

// Ended is a proposal card whose proposal has ended.
type Ended struct {
	Ref      string
	Proposal session.Proposal
}

// Settle returns the card of a proposal if the proposal has ended, and
// forgets it, so the adapter edits the message once. Call it after a
// decision; Sweep calls it for every card.
func (b *Bridge) Settle(ctx context.Context, p session.ProposalID) (Ended, bool) {
	v, ok, err := b.core.Deliveries.Mark(ctx, b.cardKey(p))
	if err != nil || !ok {
		return Ended{}, false
	}
	var m cardMark
	if json.Unmarshal([]byte(v), &m) != nil {
		_ = b.core.Deliveries.SetMark(ctx, b.cardKey(p), "")
		return Ended{}, false
	}
	row, err := b.core.Turns.Proposal(ctx, session.Actor{Tenant: session.TenantID(m.Tenant), ID: session.ActorID(m.Actor)}, p)
	if err != nil {
		if code, _ := session.ErrorOf(err); code == session.CodeProposalNotFound {
			_ = b.core.Deliveries.SetMark(ctx, b.cardKey(p), "")
		}
		return Ended{}, false
	}
	if row.State.Open() {
		return Ended{}, false
	}
	// Of a decision and a sweep settling the same card, one edits it.
	if _, took, err := b.core.Deliveries.TakeMark(ctx, b.cardKey(p)); err != nil || !took {
		return Ended{}, false
	}
	return Ended{Ref: m.Ref, Proposal: row}, true
}

// Sweep settles every remembered card of this channel whose proposal has
// ended (it expired, or was decided on another channel).
func (b *Bridge) Sweep(ctx context.Context) ([]Ended, error) {
	marks, err := b.core.Deliveries.Marks(ctx, "card:"+string(b.o.Channel)+":")
	if err != nil {
		return nil, err
	}
	var out []Ended
	for k := range marks {
		if e, ok := b.Settle(ctx, session.ProposalID(strings.TrimPrefix(k, "card:"+string(b.o.Channel)+":"))); ok {
			out = append(out, e)
		}
	}
	return out, nil
}

// Watch edits the cards of ended proposals (SweepEdit) every interval
// until ctx ends; a failure is logged.
func (b *Bridge) Watch(ctx context.Context, every time.Duration, edit func(context.Context, Ended) error) {
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		if err := b.SweepEdit(ctx, edit); err != nil && ctx.Err() == nil {
			b.o.Log.ErrorContext(ctx, "edit cards", "channel", b.o.Channel, "err", err)
		}
	}
}

// SweepEdit hands the card of every proposal that ended (Sweep) to edit,
// once, retried as Retry does (edit makes one attempt).
func (b *Bridge) SweepEdit(ctx context.Context, edit func(context.Context, Ended) error) error {
	ended, err := b.Sweep(ctx)
	if err != nil {
		err = fmt.Errorf("sweep cards: %w", err)
	}
	errs := []error{err}
	for _, e := range ended {
		errs = append(errs, b.edit(ctx, e, edit))
	}
	return errors.Join(errs...)
}

// SettleEdit edits the card of a proposal if the proposal has ended
// (Settle): after a decision, so the card need not wait for a sweep. A
// failure is logged.
func (b *Bridge) SettleEdit(ctx context.Context, p session.ProposalID, edit func(context.Context, Ended) error) {
	if e, ok := b.Settle(ctx, p); ok {
		if err := b.edit(ctx, e, edit); err != nil {
			b.o.Log.ErrorContext(ctx, "edit card", "channel", b.o.Channel, "proposal", p, "err", err)
		}
	}
}

func (b *Bridge) edit(ctx context.Context, e Ended, edit func(context.Context, Ended) error) error {
	_, err := Retry(ctx, b.o.Log, "edit card", func(ctx context.Context) (struct{}, error) { return struct{}{}, edit(ctx, e) })
	return err
}

// Outcome is the line a card is edited to when its proposal ends; an
// approval request says who decided it, and when.
func Outcome(p session.Proposal) string {
	if ap := p.Card.Approval; ap != nil && ap.DecidedBy != "" && ap.DecidedAt != nil {
		return approvalOutcome(p.State, ap)
	}
	switch p.State {
	case session.ProposalExecuted:
		return "✓ Confirmed and carried out."
	case session.ProposalFailed:
		return "✗ Confirmed, but it failed."
	case session.ProposalRejected:
		return "✗ Rejected: nothing was changed."
	case session.ProposalExpired:
		return "⌛ Expired: nothing was changed."
	}
	return string(p.State)
}

// ---- buttons ----

// ButtonData is the opaque payload of a proposal's button: "a:" or "r:"
// and the proposal id, well inside Telegram's 64-byte callback_data.
func ButtonData(p session.ProposalID, accept bool) string {
	if accept {
		return "a:" + string(p)
	}
	return "r:" + string(p)
}

// ParseButtonData reads a button payload.
func ParseButtonData(s string) (session.ProposalID, bool, bool) {
	kind, id, ok := strings.Cut(s, ":")
	if !ok || id == "" || len(s) > 64 || (kind != "a" && kind != "r") {
		return "", false, false
	}
	return session.ProposalID(id), kind == "a", true
}

// CardBody is a proposal card's text for a channel with buttons: what it
// does, its level, hash, impact, cooling period and expiry; when a danger
// phrase is needed, the line saying what to type (a button cannot carry
// it).
func CardBody(c *session.ProposalCard, now time.Time) string {
	full := channels.PlainText(c, now)
	var keep []string
	for _, l := range strings.Split(full, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "To cancel, type:") || (!c.DangerPhraseRequired && strings.HasPrefix(t, "To confirm, type:")) {
			continue
		}
		keep = append(keep, l)
	}
	return strings.Join(keep, "\n")
}
