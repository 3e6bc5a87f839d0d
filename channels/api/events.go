package api

// Session events: a long poll, or server-sent events, and how a shutdown
// ends them.

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/steward-os/steward/channels/internal/httpjson"
	"github.com/steward-os/steward/session"
)

// Shutdown ends open long polls and event streams (register it with
// http.Server.RegisterOnShutdown so they do not hold the shutdown up).
func (a *API) Shutdown() { a.stopOnce.Do(func() { close(a.stop) }) }

// waitCtx is a request's context that also ends when the API shuts down.
func (a *API) waitCtx(r *http.Request) (context.Context, context.CancelFunc) {
	ctx, cancel := context.WithCancel(r.Context())
	go func() {
		select {
		case <-a.stop:
			cancel()
		case <-ctx.Done():
		}
	}()
	return ctx, cancel
}

// MaxWait bounds a long poll.
const MaxWait = 55 * time.Second

// events serves a session's events: a long poll (?after=N&wait=25s) or,
// with Accept: text/event-stream, server-sent events from after (or the
// Last-Event-ID header) until the client goes away.
func (a *API) events(w http.ResponseWriter, r *http.Request, actor session.Actor) {
	if r.PathValue("id") != string(session.SessionFor(actor)) && r.PathValue("id") != "me" {
		a.fail(w, r, &actor, http.StatusNotFound, session.CodeNotFound, "No such session.")
		return
	}
	q := r.URL.Query()
	var after int64
	if v := q.Get("after"); v != "" {
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil || n < 0 {
			a.fail(w, r, &actor, http.StatusBadRequest, session.CodeBadRequest, "after must be a non-negative event id.")
			return
		}
		after = n
	}
	if v := r.Header.Get("Last-Event-ID"); v != "" {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > after {
			after = n
		}
	}
	if strings.Contains(r.Header.Get("Accept"), "text/event-stream") {
		a.stream(w, r, actor, after)
		return
	}
	var wait time.Duration
	if v := q.Get("wait"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d < 0 {
			a.fail(w, r, &actor, http.StatusBadRequest, session.CodeBadRequest, "wait must be a duration such as 25s.")
			return
		}
		wait = min(d, MaxWait)
	}
	ctx, cancel := a.waitCtx(r)
	defer cancel()
	evs, err := a.core.Deliveries.Events(ctx, actor, after, wait)
	if err != nil {
		code, msg := session.ErrorOf(err)
		a.fail(w, r, &actor, statusOf(code), code, msg)
		return
	}
	httpjson.Write(w, http.StatusOK, map[string]any{"session": session.SessionFor(actor), "events": eventList(evs)})
}

func eventList(evs []session.Event) []map[string]any {
	out := make([]map[string]any, 0, len(evs))
	for _, e := range evs {
		out = append(out, map[string]any{"id": e.ID, "at": e.At, "outbound": e.Out})
	}
	return out
}

func (a *API) stream(w http.ResponseWriter, r *http.Request, actor session.Actor, after int64) {
	fl, ok := w.(http.Flusher)
	if !ok {
		httpjson.Error(w, http.StatusInternalServerError, session.CodeInternal, "Streaming is not available.")
		return
	}
	rc := http.NewResponseController(w)
	w.Header().Set("Content-Type", "text/event-stream")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(http.StatusOK)
	fl.Flush()
	ctx, cancel := a.waitCtx(r)
	defer cancel()
	for ctx.Err() == nil {
		_ = rc.SetWriteDeadline(time.Now().Add(MaxWait + 10*time.Second))
		evs, err := a.core.Deliveries.Events(ctx, actor, after, 25*time.Second)
		if err != nil {
			return
		}
		if len(evs) == 0 {
			fmt.Fprint(w, ": keep-alive\n\n")
		}
		for _, e := range evs {
			data, err := json.Marshal(e.Out)
			if err != nil {
				return
			}
			fmt.Fprintf(w, "id: %d\nevent: outbound\ndata: %s\n\n", e.ID, data)
			after = e.ID
		}
		fl.Flush()
	}
}
