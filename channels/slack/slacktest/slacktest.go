// Package slacktest is a fake Slack for tests: an httptest server that
// answers the Web API methods a bot uses (auth.test, apps.connections.open,
// chat.postMessage, chat.postEphemeral, chat.update, conversations.open)
// in Slack's wire format (form-encoded requests, {"ok":…} JSON answers,
// 429 with Retry-After), serves a Socket Mode WebSocket (hello, envelopes,
// pings; it reads back acknowledgements), and delivers user events either
// over that socket or, as the Events API does, by signed HTTP POSTs to
// the bot's endpoint.
//
// Contract. Start a server with Start (or New and Close); point the real
// client library at APIURL (it ends with a slash) with BotToken and
// AppToken. Inject what a user does with Message (a message event, or an
// app_mention with Mention) and Press (a block_actions press); both return
// once the bot has acknowledged the delivery (socket) or answered it
// (HTTP, after SetEventsURL). Read what the bot sent or edited with
// Calls, Since, Wait and MessageAt; Call.Shown and Call.Buttons read a
// message as a person sees it. RateLimit makes the next calls of a method
// answer 429. Everything is safe for concurrent use. Tokens that do not
// match answer {"ok":false,"error":"invalid_auth"} as Slack does. It is
// test support: production code never imports it.
//
// A typical test:
//
//	fake := slacktest.Start(t, slacktest.Options{})
//	// build the adapter with Token: fake.BotToken(), AppToken:
//	// fake.AppToken(), APIURL: fake.APIURL(), and run it
//	fake.WaitConnected(ctx)
//	seq := len(fake.Calls())
//	fake.Message(ctx, slacktest.Message{User: "U1", Channel: slacktest.DMChannel("U1"), Text: "list servers"})
//	calls, ok := fake.Wait(seq, 5*time.Second, func(c []slacktest.Call) bool { return len(c) > 0 })
package slacktest

import (
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure a fake workspace. Zero values take the defaults shown.
type Options struct {
	BotToken      string // "xoxb-test"
	AppToken      string // "xapp-test"
	BotUserID     string // "UBOT"
	BotID         string // "BBOT"
	TeamID        string // "T0001"
	AppID         string // "A0001"
	SigningSecret string // "test-signing-secret"
	// PingEvery is how often the socket is pinged (the client reconnects
	// when it hears no ping for 30 s); default 5 s.
	PingEvery time.Duration
}

func (o *Options) defaults() {
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&o.BotToken, "xoxb-test")
	def(&o.AppToken, "xapp-test")
	def(&o.BotUserID, "UBOT")
	def(&o.BotID, "BBOT")
	def(&o.TeamID, "T0001")
	def(&o.AppID, "A0001")
	def(&o.SigningSecret, "test-signing-secret")
	if o.PingEvery <= 0 {
		o.PingEvery = 5 * time.Second
	}
}

// Call is one Web API call the bot made that shows something to people:
// chat.postMessage, chat.postEphemeral or chat.update.
type Call struct {
	Seq      int    // order of arrival, from 1
	Method   string // "chat.postMessage", "chat.postEphemeral", "chat.update"
	Channel  string
	TS       string // the message's ts (for an ephemeral message, its message_ts)
	ThreadTS string
	User     string // chat.postEphemeral: the only person who sees it
	Text     string // the text field as sent (mrkdwn, escaped by the bot)
	Blocks   json.RawMessage
}

type limit struct {
	n     int
	after int
}

// Server is a running fake.
type Server struct {
	o   Options
	srv *httptest.Server

	mu        sync.Mutex
	changed   chan struct{} // closed and replaced whenever something is recorded
	calls     []Call
	messages  map[string]*Call // channel+"/"+ts → current state
	limits    map[string]*limit
	limited   map[string]int
	tsSeq     int64
	conn      *websocket.Conn
	connWrite sync.Mutex
	acks      map[string]bool
	opens     int
	eventsURL string
	closed    bool
}

// Start runs a fake until the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := New(o)
	t.Cleanup(s.Close)
	return s
}

// New runs a fake; Close stops it.
func New(o Options) *Server {
	o.defaults()
	s := &Server{
		o:        o,
		changed:  make(chan struct{}),
		messages: map[string]*Call{},
		limits:   map[string]*limit{},
		limited:  map[string]int{},
		acks:     map[string]bool{},
		tsSeq:    1_700_000_000_000_000,
	}
	mux := http.NewServeMux()
	mux.HandleFunc("/api/{method}", s.api)
	mux.HandleFunc("/link", s.socket)
	s.srv = httptest.NewServer(mux)
	return s
}

// Close stops the server and drops the socket.
func (s *Server) Close() {
	s.mu.Lock()
	s.closed = true
	c := s.conn
	s.conn = nil
	s.mu.Unlock()
	if c != nil {
		_ = c.Close()
	}
	s.srv.Close()
}

// APIURL is the Web API base for slack.OptionAPIURL (with its trailing slash).
func (s *Server) APIURL() string { return s.srv.URL + "/api/" }

// BotToken, AppToken, BotUserID and SigningSecret are the workspace's.
func (s *Server) BotToken() string      { return s.o.BotToken }
func (s *Server) AppToken() string      { return s.o.AppToken }
func (s *Server) BotUserID() string     { return s.o.BotUserID }
func (s *Server) SigningSecret() string { return s.o.SigningSecret }

// SetEventsURL makes Message and Press deliver by HTTP, as the Events API
// and interactivity do: signed POSTs to base+"/events" and
// base+"/interactions". With "" (the default) they go over the socket.
func (s *Server) SetEventsURL(base string) {
	s.mu.Lock()
	s.eventsURL = strings.TrimSuffix(base, "/")
	s.mu.Unlock()
}

// RateLimit makes the next n calls of a Web API method answer 429 with
// Retry-After: after (whole seconds, as Slack sends it).
func (s *Server) RateLimit(method string, n int, after time.Duration) {
	s.mu.Lock()
	s.limits[method] = &limit{n: n, after: int(after / time.Second)}
	s.mu.Unlock()
}

// Limited is how many calls of a method were answered 429.
func (s *Server) Limited(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.limited[method]
}

// Calls returns every call recorded so far.
func (s *Server) Calls() []Call { return s.Since(0) }

// Since returns the calls with Seq > seq.
func (s *Server) Since(seq int) []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	if seq < 0 {
		seq = 0
	}
	if seq >= len(s.calls) {
		return nil
	}
	return append([]Call(nil), s.calls[seq:]...)
}

// MessageAt returns a message's current state (after any chat.update).
func (s *Server) MessageAt(channel, ts string) (Call, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channel+"/"+ts]
	if !ok {
		return Call{}, false
	}
	return *m, true
}

// Wait polls until cond holds for the calls after seq or the timeout
// passes, and returns those calls and whether cond held.
func (s *Server) Wait(seq int, timeout time.Duration, cond func([]Call) bool) ([]Call, bool) {
	deadline := time.NewTimer(timeout)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		ch := s.changed
		s.mu.Unlock()
		calls := s.Since(seq)
		if cond(calls) {
			return calls, true
		}
		select {
		case <-ch:
		case <-deadline.C:
			calls = s.Since(seq)
			return calls, cond(calls)
		}
	}
}

// Connections is how many times apps.connections.open succeeded.
func (s *Server) Connections() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.opens
}

// Connected reports whether a Socket Mode client is connected.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.conn != nil
}

// notify wakes waiters; s.mu held.
func (s *Server) notify() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// NextTS returns a fresh message timestamp ("1700000000.000123").
func (s *Server) NextTS() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.nextTS()
}

func (s *Server) nextTS() string {
	s.tsSeq++
	return fmt.Sprintf("%d.%06d", s.tsSeq/1_000_000, s.tsSeq%1_000_000)
}
