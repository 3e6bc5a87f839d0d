// Package discordtest is a fake Discord for tests: an httptest server that
// speaks Discord's REST API (v9) and gateway protocol well enough for the
// real discordgo client, and that plays the users: it injects messages
// over the gateway and button presses over the gateway or as signed HTTP
// interactions, and records everything the bot did.
//
// Contract. Start returns a running fake, closed when the test ends. Point
// the bot's REST calls at APIURL (rewrite scheme and host of every request
// to it; GET /api/v9/gateway answers the fake's ws:// gateway URL). The
// fake checks the bot token on every authenticated route (401 otherwise),
// answers the gateway handshake (op 10 Hello, op 2 Identify checked
// against the token, op 0 READY; op 1 heartbeats get op 11, op 6 Resume
// gets RESUMED), keeps every message the bot created or edited, answers
// interaction callbacks once per interaction (a second answer is the real
// 400 "already acknowledged"), and gives a bot 3 seconds to answer an HTTP
// interaction, as Discord does. RateLimit makes the next sends answer 429
// with retry_after, as Discord does. Users and channels are created on
// first use; ids are the caller's strings (Discord's are snowflakes).
//
// Playing the users: Say sends a message (MESSAGE_CREATE; a DM unless a
// guild channel is given), PressGateway a button press (INTERACTION_CREATE,
// answered by REST), PressHTTP the same press as a signed interaction
// POSTed to the bot's endpoint (its answer applied as Discord would), Post
// any raw request with chosen headers (Sign makes valid ones). Reading what
// the bot did: Records is the ordered log of the bot's actions (created,
// edited, interaction callbacks, follow-ups); RepliesTo the messages that
// reply to one message; Message and Messages a message's or a channel's
// current state; WaitFor polls the log with a deadline. Message contents
// are as the bot sent them (Discord markdown escaped).
//
// Typical use (the bot under test configured with token Token(), public
// key PublicKeyHex() and api_url APIURL()):
//
//	f := discordtest.Start(t, discordtest.Options{Now: clock.Now})
//	// … start the bot, then:
//	_ = f.WaitConnected(10 * time.Second)
//	id, _ := f.Say(discordtest.In{Author: discordtest.User{ID: "42", Username: "alice"}, Content: "hello"})
//	f.WaitFor(10*time.Second, func([]discordtest.Record) bool { return len(f.RepliesTo(id)) > 0 })
package discordtest

import (
	"crypto/ed25519"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"
)

// Options configure the fake.
type Options struct {
	// Token is the bot token the fake accepts (default "test-token");
	// requests must carry "Bot <token>".
	Token string
	// BotID and BotName are the bot user's id and name (defaults
	// "900000000000000001", "steward").
	BotID, BotName string
	// AppID is the application id (default "800000000000000001").
	AppID string
	// Now is the clock used to stamp signed interactions (default
	// time.Now); tests with a fake clock pass it so the bot's ±5 minute
	// window agrees.
	Now func() time.Time
}

// User is a Discord user.
type User struct {
	ID       string `json:"id"`
	Username string `json:"username"`
	Bot      bool   `json:"bot,omitempty"`
}

// Button is a button component as the bot sent it.
type Button struct {
	Label    string `json:"label"`
	Style    int    `json:"style"`
	CustomID string `json:"custom_id,omitempty"`
	Disabled bool   `json:"disabled,omitempty"`
}

// Message is a message in a channel, as it stands now.
type Message struct {
	ID        string
	ChannelID string
	GuildID   string
	Author    User
	Content   string
	Buttons   []Button
	Flags     int
	// Reference is the id of the message this one replies to.
	Reference string
	// Ephemeral messages are seen only by For.
	For    string
	Edited int
}

// Record is one thing the bot did.
type Record struct {
	Seq int
	// Kind is "create" (a channel message), "edit" (a channel message or
	// an interaction's original message), "callback" (an interaction's
	// initial response, by REST or as the HTTP answer), "followup" (a
	// follow-up message of an interaction) or "dm" (a DM channel opened).
	Kind        string
	ChannelID   string
	MessageID   string
	Interaction string
	// Type is an interaction callback's type (1 PONG, 4 message, 6
	// deferred update, 7 update message).
	Type      int
	Content   string
	Buttons   []Button
	Flags     int
	Reference string
	// Components is false when an edit left the components as they were.
	Components bool
	// AllowedMentions is the allowed_mentions object sent, raw.
	AllowedMentions json.RawMessage
	// Via is "rest" or "http" (an answer to the fake's HTTP interaction).
	Via string
}

// Identify is an op 2 payload the fake received.
type Identify struct {
	Token   string `json:"token"`
	Intents int    `json:"intents"`
}

// Server is a running fake.
type Server struct {
	o    Options
	srv  *httptest.Server
	pub  ed25519.PublicKey
	priv ed25519.PrivateKey
	up   websocket.Upgrader

	mu           sync.Mutex
	seq          int
	records      []Record
	messages     map[string]*Message
	order        []string
	dms          map[string]string // user id → DM channel id
	interactions map[string]*interaction
	byToken      map[string]*interaction
	limited      int
	served429    int
	retryAfter   time.Duration
	identifies   []Identify
	resumes      int
	conns        map[*gwConn]struct{}
	nextID       int64
}

type interaction struct {
	id, token, channel, message, user string
	answered                          bool
}

// Start starts a fake; it is closed when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	if o.Token == "" {
		o.Token = "test-token"
	}
	if o.BotID == "" {
		o.BotID = "900000000000000001"
	}
	if o.BotName == "" {
		o.BotName = "steward"
	}
	if o.AppID == "" {
		o.AppID = "800000000000000001"
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	pub, priv, err := ed25519.GenerateKey(rand.Reader)
	if err != nil {
		t.Fatalf("discordtest: key: %v", err)
	}
	s := &Server{
		o: o, pub: pub, priv: priv,
		up:       websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }},
		messages: map[string]*Message{}, dms: map[string]string{},
		interactions: map[string]*interaction{}, byToken: map[string]*interaction{},
		conns: map[*gwConn]struct{}{}, nextID: 1000,
	}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.Close)
	return s
}

// APIURL is the base URL to send the bot's REST calls to ("http://…/").
func (s *Server) APIURL() string { return s.srv.URL + "/" }

// Token is the bot token the fake accepts.
func (s *Server) Token() string { return s.o.Token }

// Bot is the bot's user.
func (s *Server) Bot() User { return User{ID: s.o.BotID, Username: s.o.BotName, Bot: true} }

// AppID is the application id.
func (s *Server) AppID() string { return s.o.AppID }

// PublicKey is the application's public key, for verifying interactions.
func (s *Server) PublicKey() ed25519.PublicKey { return s.pub }

// PublicKeyHex is the public key as the developer portal shows it (the
// discord.<name>.public_key setting).
func (s *Server) PublicKeyHex() string { return hex.EncodeToString(s.pub) }

// Close closes gateway connections and the server.
func (s *Server) Close() {
	s.mu.Lock()
	conns := make([]*gwConn, 0, len(s.conns))
	for c := range s.conns {
		conns = append(conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.close()
	}
	s.srv.Close()
}

// RateLimit makes the next n message sends (POST …/messages) answer 429
// with retry_after, as Discord does.
func (s *Server) RateLimit(n int, retryAfter time.Duration) {
	s.mu.Lock()
	s.limited, s.retryAfter = n, retryAfter
	s.mu.Unlock()
}

// RateLimited is how many 429 answers the fake has given.
func (s *Server) RateLimited() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.served429
}

// Identifies returns the op 2 payloads received.
func (s *Server) Identifies() []Identify {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Identify(nil), s.identifies...)
}

// Records returns the bot's actions so far, in order.
func (s *Server) Records() []Record {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Record(nil), s.records...)
}

// RepliesTo returns the messages the bot created as replies to a message
// (its answer to a user's message, or the outcome of a press on a card).
func (s *Server) RepliesTo(messageID string) []Record {
	var out []Record
	for _, r := range s.Records() {
		if r.Kind == "create" && r.Reference == messageID {
			out = append(out, r)
		}
	}
	return out
}

// Message returns a message's current state.
func (s *Server) Message(id string) (Message, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok {
		return Message{}, false
	}
	return *m, true
}

// Messages returns the messages of a channel, oldest first.
func (s *Server) Messages(channel string) []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Message
	for _, id := range s.order {
		if m := s.messages[id]; m.ChannelID == channel {
			out = append(out, *m)
		}
	}
	return out
}

// DMChannel returns the id of the DM channel between the bot and a user,
// creating it.
func (s *Server) DMChannel(user string) string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.dmLocked(user)
}

func (s *Server) dmLocked(user string) string {
	if c, ok := s.dms[user]; ok {
		return c
	}
	c := "dm-" + user
	s.dms[user] = c
	return c
}

// WaitFor polls the records until ok returns true or timeout passes.
func (s *Server) WaitFor(timeout time.Duration, ok func([]Record) bool) bool {
	deadline := time.Now().Add(timeout)
	for {
		if ok(s.Records()) {
			return true
		}
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func (s *Server) id() string {
	s.nextID++
	return strconv.FormatInt(s.nextID, 10)
}

func (s *Server) recordLocked(r Record) {
	s.seq++
	r.Seq = s.seq
	if r.Via == "" {
		r.Via = "rest"
	}
	s.records = append(s.records, r)
}
