package twilio

import (
	"context"
	"encoding/base64"
	"net/http"
	"sync"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
)

// Frame is one message of the Media Streams protocol, both ways.
type Frame struct {
	Event     string    `json:"event"`
	StreamSid string    `json:"streamSid,omitempty"`
	Protocol  string    `json:"protocol,omitempty"`
	Version   string    `json:"version,omitempty"`
	Start     *StartMsg `json:"start,omitempty"`
	Media     *Media    `json:"media,omitempty"`
	Mark      *Mark     `json:"mark,omitempty"`
	DTMF      *DTMF     `json:"dtmf,omitempty"`
}

// StartMsg is the "start" message's body.
type StartMsg struct {
	StreamSid        string            `json:"streamSid"`
	AccountSid       string            `json:"accountSid"`
	CallSid          string            `json:"callSid"`
	Tracks           []string          `json:"tracks"`
	CustomParameters map[string]string `json:"customParameters"`
	MediaFormat      struct {
		Encoding   string `json:"encoding"`
		SampleRate int    `json:"sampleRate"`
		Channels   int    `json:"channels"`
	} `json:"mediaFormat"`
}

// Media carries base64 μ-law audio at 8 kHz.
type Media struct {
	Track     string `json:"track,omitempty"`
	Chunk     string `json:"chunk,omitempty"`
	Timestamp string `json:"timestamp,omitempty"`
	Payload   string `json:"payload"`
}

// Mark names a point in the played audio.
type Mark struct {
	Name string `json:"name"`
}

// DTMF is a keypad press.
type DTMF struct {
	Track string `json:"track,omitempty"`
	Digit string `json:"digit"`
}

var upgrader = websocket.Upgrader{ReadBufferSize: 8 << 10, WriteBufferSize: 8 << 10,
	CheckOrigin: func(*http.Request) bool { return true }} // Twilio sends no Origin; the one-time token authenticates

// stream serves one call's media stream: the start message must carry a
// token the webhook issued (once), or the stream is closed and audited.
func (a *Adapter) stream(w http.ResponseWriter, r *http.Request) {
	ws, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	defer ws.Close()
	ws.SetReadLimit(64 << 10)
	start, ok := a.handshake(ws)
	if !ok {
		return
	}
	p, ok := a.toks.take(start.CustomParameters["token"])
	if !ok || start.AccountSid != a.o.AccountSID {
		a.refuse(r.Context(), r.RemoteAddr, session.CodeUnauthenticated, "media stream: stream token missing, expired or already used")
		_ = ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.ClosePolicyViolation, "stream token refused"), time.Now().Add(time.Second))
		return
	}
	if p.from.Chat == "" {
		p.from.Chat = start.CallSid
	}
	ctx, cancel := context.WithCancel(context.WithoutCancel(r.Context()))
	defer cancel()
	line := &line{ws: ws, sid: start.StreamSid}
	cfg := a.o.Call
	cfg.Rate, cfg.FrameMs, cfg.Menu, cfg.Now, cfg.Log = 8000, 20, a.o.Menu, a.o.Now, a.o.Log
	if a.o.Number != "" && cfg.CallBack == nil {
		cfg.CallBack = a.callBack
	}
	call := voice.NewCall(cfg, a.sp, a.core, line, voice.Start{ID: "twilio:" + start.CallSid, Actor: p.actor, From: p.from, Notice: p.notice})
	a.track(call, cancel, true)
	defer a.track(call, cancel, false)
	go a.read(ws, call)
	if err := call.Run(ctx); err != nil {
		a.o.Log.Warn("call ended with an error", "call", start.CallSid, "err", err)
	}
}

func (a *Adapter) track(c *voice.Call, cancel context.CancelFunc, on bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if on {
		a.calls.Add(1)
		a.live[c] = cancel
		return
	}
	delete(a.live, c)
	a.calls.Done()
}

// handshake reads "connected" (optional) and "start".
func (a *Adapter) handshake(ws *websocket.Conn) (*StartMsg, bool) {
	_ = ws.SetReadDeadline(time.Now().Add(10 * time.Second))
	defer ws.SetReadDeadline(time.Time{})
	for range 2 {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return nil, false
		}
		f, err := decodeFrame(b)
		if err != nil {
			return nil, false
		}
		if f.Event == "start" && f.Start != nil {
			if f.Start.StreamSid == "" {
				f.Start.StreamSid = f.StreamSid
			}
			return f.Start, true
		}
		if f.Event != "connected" {
			return nil, false
		}
	}
	return nil, false
}

// read hands the caller's frames to the call until the stream ends.
func (a *Adapter) read(ws *websocket.Conn, call *voice.Call) {
	defer call.Stop()
	for {
		_, b, err := ws.ReadMessage()
		if err != nil {
			return
		}
		f, err := decodeFrame(b)
		if err != nil {
			return
		}
		switch f.Event {
		case "media":
			if f.Media == nil || (f.Media.Track != "" && f.Media.Track != "inbound") {
				continue
			}
			b, err := base64.StdEncoding.DecodeString(f.Media.Payload)
			if err != nil {
				continue
			}
			call.Audio(voice.DecodeMulaw(b))
		case "mark":
			if f.Mark != nil {
				call.Mark(f.Mark.Name)
			}
		case "dtmf":
			if f.DTMF != nil {
				call.Digit(f.DTMF.Digit)
			}
		case "stop":
			return
		}
	}
}

// line plays audio on the stream: μ-law frames of 20 ms, then a mark.
type line struct {
	mu  sync.Mutex
	ws  *websocket.Conn
	sid string
}

func (l *line) write(f Frame) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	_ = l.ws.SetWriteDeadline(time.Now().Add(10 * time.Second))
	return l.ws.WriteJSON(f)
}

// Play implements voice.Line.
func (l *line) Play(_ context.Context, a voice.Audio, mark string) error {
	mu := voice.EncodeMulaw(a.PCM)
	for i := 0; i < len(mu); i += 160 {
		p := base64.StdEncoding.EncodeToString(mu[i:min(i+160, len(mu))])
		if err := l.write(Frame{Event: "media", StreamSid: l.sid, Media: &Media{Payload: p}}); err != nil {
			return err
		}
	}
	return l.write(Frame{Event: "mark", StreamSid: l.sid, Mark: &Mark{Name: mark}})
}

// Clear implements voice.Line.
func (l *line) Clear(context.Context) error {
	return l.write(Frame{Event: "clear", StreamSid: l.sid})
}

// Hangup implements voice.Line: closing the stream ends a <Connect>ed
// call (nothing follows it in the TwiML).
func (l *line) Hangup(context.Context) error {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseNormalClosure, "goodbye"), time.Now().Add(time.Second))
}
