package web

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/channels/guard"
	"github.com/steward-os/steward/session"
)

// closeGrace is how long a closing socket waits for the peer's close
// frame (draining what it still sends) before the connection is dropped.
const closeGrace = 2 * time.Second

// conn is one socket. Only serve's goroutine reads; frames are written
// under wmu by whoever sends them (gorilla allows one concurrent reader
// and one writer; Close and WriteControl may be called from anywhere), and
// pings by a timer. An idle socket so holds one goroutine (its reader) and
// no write buffer: it has no writer goroutine and no send queue.
type conn struct {
	w      *Web
	ws     *websocket.Conn
	remote string
	ctx    context.Context
	cancel context.CancelFunc

	wmu       sync.Mutex // held while a frame is written
	closeSent bool       // a close frame was written (under wmu)
	ping      atomic.Pointer[time.Timer]
	dead      chan struct{} // closed when the connection is dropped
	deadOnce  sync.Once
	closeOnce sync.Once
	closing   atomic.Bool
	closed    chan struct{} // set before closing: closed once the close frame is out

	// Reader-owned state.
	actor     *session.Actor
	resumed   bool
	malformed int
	slots     chan struct{}
	pump      sync.WaitGroup
}

func newConn(w *Web, ws *websocket.Conn, r *http.Request) *conn {
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	return &conn{
		w: w, ws: ws, remote: guard.Client(r), ctx: ctx, cancel: cancel,
		dead:  make(chan struct{}),
		slots: make(chan struct{}, w.opt.MaxInFlight),
	}
}

// serve reads frames until the socket ends, then cleans up.
func (c *conn) serve() {
	t := time.AfterFunc(time.Hour, c.pinger)
	c.ping.Store(t)
	t.Reset(c.w.opt.PingInterval)
	defer c.finish()
	pongWait := c.w.opt.PingInterval * 5 / 2
	_ = c.ws.SetReadDeadline(time.Now().Add(c.w.opt.AuthTimeout))
	c.ws.SetPongHandler(func(string) error {
		if c.actor != nil && !c.closing.Load() {
			_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		}
		return nil
	})
	max := c.w.opt.MaxFrameBytes
	for {
		typ, rd, err := c.ws.NextReader()
		if err != nil {
			var ne net.Error
			if c.actor == nil && !c.closing.Load() && errors.As(err, &ne) && ne.Timeout() {
				c.w.refuse(c.ctx, nil, c.remote, CodeAuthTimeout, "socket from "+c.remote+": no auth frame within "+c.w.opt.AuthTimeout.String())
				c.fail(CodeAuthTimeout, "No auth frame arrived in time; sign in again.", CloseUnauthenticated)
			}
			return
		}
		if c.closing.Load() {
			// Closing: drain until the peer's close frame or the grace ends.
			_, _ = io.Copy(io.Discard, rd)
			continue
		}
		b, err := io.ReadAll(io.LimitReader(rd, max+1))
		if err != nil {
			return
		}
		if int64(len(b)) > max {
			c.w.refuse(c.ctx, c.actor, c.remote, CodeFrameTooLarge, "socket from "+c.remote+": frame larger than "+strconv.FormatInt(max, 10)+" bytes")
			c.fail(CodeFrameTooLarge, "The frame is larger than "+strconv.FormatInt(max, 10)+" bytes.", websocket.CloseMessageTooBig)
			continue
		}
		if c.actor != nil && !c.closing.Load() {
			_ = c.ws.SetReadDeadline(time.Now().Add(pongWait))
		}
		if typ != websocket.TextMessage {
			if c.actor == nil { // anything but an auth frame first closes the socket
				c.w.refuse(c.ctx, nil, c.remote, CodeAuthRequired, "socket from "+c.remote+": binary frame before sign-in")
				c.fail(CodeAuthRequired, "Sign in first: send an auth frame.", CloseUnauthenticated)
				continue
			}
			c.reject(refuse(session.CodeBadRequest, "", "Send JSON in text frames."))
			continue
		}
		c.frame(b)
	}
}

// frame handles one text frame.
func (c *conn) frame(b []byte) {
	typ, id, rf := peekType(b)
	if c.actor == nil {
		if rf == nil && typ == TypeAuth {
			var f AuthFrame
			if rf = decodeStrict(b, "", &f); rf == nil {
				c.auth(f.Token)
				return
			}
		}
		// CHAN-04: nothing reaches the kernel from an unauthenticated socket.
		code, msg := CodeAuthRequired, `The first frame must be {"type":"auth","token":"…"}.`
		if rf != nil && typ == TypeAuth {
			code, msg = rf.code, rf.msg
		}
		c.w.refuse(c.ctx, nil, c.remote, code, "socket from "+c.remote+": first frame "+clip(typ, 32)+": "+msg)
		c.fail(code, msg, CloseUnauthenticated)
		return
	}
	if rf != nil {
		c.reject(rf)
		return
	}
	from := session.Address{Channel: Name, Account: string(c.actor.ID)}
	switch typ {
	case TypeMessage:
		var f MessageFrame
		if !c.accept(b, id, &f) {
			return
		}
		c.turn(f.ID, session.Inbound{ID: f.ID, From: from, Text: f.Text, At: time.Now()})
	case TypeDecision:
		var f DecisionFrame
		if !c.accept(b, id, &f) {
			return
		}
		// CHAN-03: a button press is the same decision the typed
		// "confirm <id> <phrase>" makes elsewhere; the kernel checks
		// actor, expiry, cooling, phrase and arguments' hash alike.
		c.turn(f.ID, session.Inbound{ID: f.ID, From: from, At: time.Now(),
			Action: &session.Action{Kind: session.ActionKind(f.Decision), Proposal: session.ProposalID(f.ProposalID), Phrase: f.Phrase, Grant: f.Grant}})
	case TypeResume:
		var f ResumeFrame
		if rf := decodeStrict(b, "", &f); rf != nil {
			c.reject(rf)
			return
		}
		if f.After < 0 {
			c.reject(refuse(session.CodeBadRequest, "", `The field "after" must be a non-negative event id.`))
			return
		}
		if c.resumed {
			c.reject(refuse(session.CodeBadRequest, "", "This socket already resumed; reconnect to resume from another event."))
			return
		}
		c.resumed = true
		c.pump.Add(1)
		go c.events(f.After)
	case TypeAuth:
		c.reject(refuse(session.CodeBadRequest, "", "This socket is already signed in."))
	default:
		c.reject(refuse(CodeUnknownType, id, "Unknown frame type %q; see docs/web.md.", clip(typ, 32)))
	}
}

// accept decodes a frame strictly and checks its fields, refusing it on
// the socket when either fails.
func (c *conn) accept(b []byte, id string, f interface{ check() *refusal }) bool {
	if rf := decodeStrict(b, id, f); rf != nil {
		c.reject(rf)
		return false
	}
	if rf := f.check(); rf != nil {
		c.reject(rf)
		return false
	}
	return true
}

func (c *conn) auth(token string) {
	token = strings.TrimSpace(token)
	a, ok := session.Actor{}, false
	if token != "" {
		a, ok = c.w.dir.Authenticate(c.ctx, token)
	}
	if !ok {
		c.w.refuse(c.ctx, nil, c.remote, session.CodeUnauthenticated, "socket from "+c.remote+": the token is not valid")
		c.fail(session.CodeUnauthenticated, "The token is not valid.", CloseUnauthenticated)
		return
	}
	c.actor = &a
	_ = c.ws.SetReadDeadline(time.Now().Add(c.w.opt.PingInterval * 5 / 2))
	c.send(encode(ReadyFrame{
		Type: TypeReady, Actor: a.ID, Tenant: a.Tenant, Roles: append([]string{}, a.Roles...), Session: session.SessionFor(a),
		Capabilities: c.w.Capabilities(), ServerTime: c.w.opt.Now().UTC(), MaxFrame: c.w.opt.MaxFrameBytes,
	}))
}

// reject answers a refused frame, audits it, and closes the socket after
// too many.
func (c *conn) reject(rf *refusal) {
	c.w.refuse(c.ctx, c.actor, c.remote, rf.code, "socket from "+c.remote+": "+rf.msg)
	c.send(encode(ErrorFrame{Type: TypeError, Code: rf.code, Message: rf.msg, InReplyTo: rf.id}))
	c.malformed++
	if c.malformed >= c.w.opt.MaxMalformed {
		c.fail(session.CodeBadRequest, "Too many refused frames; closing.", CloseBadRequest)
	}
}

// fail sends an error frame, then closes with code (reason: the stable
// code). The caller has audited it.
func (c *conn) fail(code, msg string, closeCode int) {
	c.send(encode(ErrorFrame{Type: TypeError, Code: code, Message: msg}))
	c.closeWith(closeCode, code)
}

// turn runs one inbound event in its own goroutine (bounded per socket).
// It runs to completion even if the socket drops: its outcome is stored
// under the inbound id and returned to a re-send.
func (c *conn) turn(id string, in session.Inbound) {
	select {
	case c.slots <- struct{}{}:
	case <-c.dead:
		return
	}
	a := *c.actor
	c.w.turns.Add(1)
	go func() {
		defer c.w.turns.Done()
		defer func() { <-c.slots }()
		ctx := context.WithoutCancel(c.ctx)
		out, err := c.w.core.Turns.Handle(ctx, a, in)
		if err != nil {
			c.w.opt.Log.ErrorContext(ctx, "web turn failed", "err", err)
			c.send(encode(ErrorFrame{Type: TypeError, Code: session.CodeInternal, Message: "Something went wrong on our side.", InReplyTo: id}))
			return
		}
		b, err := turnFrame(id, out)
		if err != nil {
			c.w.opt.Log.ErrorContext(ctx, "web encode turn", "err", err)
			c.send(encode(ErrorFrame{Type: TypeError, Code: session.CodeInternal, Message: "Something went wrong on our side.", InReplyTo: id}))
			return
		}
		c.send(b)
	}()
}

// events delivers the session's events after an id (LRO-03), in order,
// each once per socket; the page resumes from the last id it saw.
func (c *conn) events(after int64) {
	defer c.pump.Done()
	a := *c.actor
	for c.ctx.Err() == nil {
		evs, err := c.w.core.Deliveries.Events(c.ctx, a, after, c.w.opt.EventWait)
		if err != nil {
			if c.ctx.Err() != nil {
				return
			}
			code, msg := session.ErrorOf(err)
			c.send(encode(ErrorFrame{Type: TypeError, Code: code, Message: msg}))
			if code == session.CodeUnauthenticated {
				c.closeWith(CloseUnauthenticated, code)
				return
			}
			select {
			case <-time.After(2 * time.Second):
			case <-c.ctx.Done():
				return
			}
			continue
		}
		for _, e := range evs {
			out, err := json.Marshal(e.Out)
			if err != nil {
				continue
			}
			if !c.send(encode(EventFrame{Type: TypeEvent, ID: e.ID, At: e.At, Outbound: out})) {
				return
			}
			after = e.ID
		}
	}
}

// send writes a frame, after any frame being written; it reports false
// once the connection is gone or closing (a close frame was written). A
// write that fails or takes longer than the write timeout drops the
// connection.
func (c *conn) send(b []byte) bool {
	if b == nil {
		return false
	}
	c.wmu.Lock()
	defer c.wmu.Unlock()
	if c.closeSent || c.isDead() {
		return false
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(c.w.opt.WriteTimeout))
	if err := c.ws.WriteMessage(websocket.TextMessage, b); err != nil {
		c.kill()
		return false
	}
	return true
}

func (c *conn) isDead() bool {
	select {
	case <-c.dead:
		return true
	default:
		return false
	}
}

// closeWith writes a close frame after the frame being written (at once
// when there is none, else from a goroutine that waits for it), and gives
// the peer closeGrace to answer it.
func (c *conn) closeWith(code int, reason string) {
	c.closeOnce.Do(func() {
		c.closed = make(chan struct{})
		c.closing.Store(true)
		write := func() {
			defer close(c.closed)
			defer c.wmu.Unlock()
			if c.closeSent || c.isDead() {
				return
			}
			c.closeSent = true
			_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, reason), time.Now().Add(c.w.opt.WriteTimeout))
		}
		if c.wmu.TryLock() {
			write()
		} else {
			go func() {
				c.wmu.Lock()
				write()
			}()
		}
		_ = c.ws.SetReadDeadline(time.Now().Add(closeGrace))
		// Whatever the reader is doing, the connection ends soon after.
		time.AfterFunc(closeGrace+time.Second, c.kill)
	})
}

// kill drops the connection at once.
func (c *conn) kill() {
	c.deadOnce.Do(func() {
		close(c.dead)
		if t := c.ping.Load(); t != nil {
			t.Stop()
		}
		_ = c.ws.Close()
	})
}

// pinger pings the peer every ping interval (a timer, not a goroutine,
// between pings).
func (c *conn) pinger() {
	if c.isDead() {
		return
	}
	if err := c.ws.WriteControl(websocket.PingMessage, nil, time.Now().Add(c.w.opt.WriteTimeout)); err != nil {
		c.kill()
		return
	}
	c.ping.Load().Reset(c.w.opt.PingInterval)
}

// finish lets a pending close frame go out, then drops the connection
// and stops the event pump.
func (c *conn) finish() {
	if c.closing.Load() {
		select {
		case <-c.closed:
		case <-time.After(c.w.opt.WriteTimeout):
		}
	}
	c.kill()
	c.cancel()
	c.pump.Wait()
}

// writeBuffers are the sockets' write buffers, lent for one frame each.
var writeBuffers = &sync.Pool{}
