package slack

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/slack-go/slack"
	"github.com/slack-go/slack/slackevents"
	"github.com/slack-go/slack/socketmode"

	"github.com/steward-os/steward/session"
)

// runSocket receives events over Socket Mode until ctx ends. A message or
// button press is acknowledged when its turn has ended, or after ackWait
// (Slack redelivers an envelope not acknowledged within 3 s), whichever
// comes first: so a process that dies before a quick turn is recorded
// leaves the envelope unacknowledged, and Slack sends it again (the
// kernel's durable dedupe on event_id keeps that from running twice).
// Turns run in the background.
func (a *Adapter) runSocket(ctx context.Context) error {
	sm := socketmode.New(a.api, socketmode.OptionLog(debugLog{a.log}))
	errc := make(chan error, 1)
	go func() { errc <- sm.RunContext(ctx) }()
	for {
		select {
		case <-ctx.Done():
			<-errc
			return nil
		case err := <-errc:
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("slack %s: socket mode stopped: %w", a.o.Name, err)
		case ev := <-sm.Events: // never closed
			a.onSocketEvent(ctx, sm, ev)
		}
	}
}

func (a *Adapter) ack(ctx context.Context, sm *socketmode.Client, envelope string) {
	if envelope == "" {
		return
	}
	if err := sm.AckCtx(ctx, envelope, nil); err != nil {
		a.log.WarnContext(ctx, "acknowledge envelope", "envelope", envelope, "err", err)
	}
}

// detached is the context of an accepted event's handling: it outlives
// the delivery (and a shutdown that starts meanwhile), within a bound.
func detached(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.WithoutCancel(ctx), handlerTimeout)
}

// ackWhenDone runs fn in the background and acknowledges the envelope
// when fn ends or after ackWait, whichever comes first. When ctx ends
// first (shutdown) the envelope stays unacknowledged and Slack sends it
// again to the next connection.
func (a *Adapter) ackWhenDone(ctx context.Context, sm *socketmode.Client, envelope string, fn func(context.Context)) {
	done := make(chan struct{})
	a.spawn(func() {
		defer close(done)
		hctx, cancel := detached(ctx)
		defer cancel()
		fn(hctx)
	})
	go func() {
		t := time.NewTimer(a.ackWait)
		defer t.Stop()
		select {
		case <-done:
		case <-t.C:
		case <-ctx.Done():
			return
		}
		a.ack(ctx, sm, envelope)
	}()
}

func (a *Adapter) onSocketEvent(ctx context.Context, sm *socketmode.Client, ev socketmode.Event) {
	var envelope string
	retry := false
	if ev.Request != nil {
		envelope, retry = ev.Request.EnvelopeID, ev.Request.RetryAttempt > 0
	}
	switch ev.Type {
	case socketmode.EventTypeEventsAPI:
		data, _ := ev.Data.(slackevents.EventsAPIEvent)
		cb, _ := data.Data.(*slackevents.EventsAPICallbackEvent)
		if cb == nil || cb.EventID == "" {
			a.ack(ctx, sm, envelope)
			a.bridge.Refuse(ctx, session.CodeBadRequest, "socket mode event without an event_id")
			return
		}
		a.ackWhenDone(ctx, sm, envelope, func(hctx context.Context) { a.onEvent(hctx, cb.EventID, data.InnerEvent, retry) })
	case socketmode.EventTypeInteractive:
		ic, ok := ev.Data.(slack.InteractionCallback)
		if !ok {
			a.ack(ctx, sm, envelope)
			return
		}
		a.ackWhenDone(ctx, sm, envelope, func(hctx context.Context) { a.onAction(hctx, ic, retry) })
	case socketmode.EventTypeSlashCommand:
		a.ack(ctx, sm, envelope)
	case socketmode.EventTypeErrorBadMessage:
		// Acknowledge what cannot be read, so Slack does not send it again.
		if bm, ok := ev.Data.(*socketmode.ErrorBadMessage); ok {
			var head struct {
				EnvelopeID string `json:"envelope_id"`
				Payload    struct {
					Event struct {
						Type string `json:"type"`
					} `json:"event"`
				} `json:"payload"`
			}
			_ = json.Unmarshal(bm.Message, &head)
			a.ack(ctx, sm, head.EnvelopeID)
			if t := head.Payload.Event.Type; t != "" && !knownInner(t) {
				a.log.DebugContext(ctx, "event of a type this app does not handle", "type", t)
				return
			}
			a.log.WarnContext(ctx, "unreadable socket mode message", "err", bm.Cause)
			a.bridge.Refuse(ctx, session.CodeBadRequest, "unreadable socket mode message: "+bm.Cause.Error())
		}
	case socketmode.EventTypeInvalidAuth:
		a.log.ErrorContext(ctx, "socket mode: app-level token refused")
	case socketmode.EventTypeConnectionError:
		if ce, ok := ev.Data.(*slack.ConnectionErrorEvent); ok {
			a.log.WarnContext(ctx, "socket mode connection failed", "attempt", ce.Attempt, "backoff", ce.Backoff, "err", ce.ErrorObj)
		}
	case socketmode.EventTypeConnected:
		a.log.InfoContext(ctx, "socket mode connected")
	}
}
