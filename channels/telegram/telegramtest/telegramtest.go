// Package telegramtest is a fake Telegram Bot API server for tests: an
// httptest server speaking the Bot API's wire format, so the real client
// library can be pointed at it (tgbotapi.NewBotAPIWithAPIEndpoint(token,
// srv.APIURL())). It is test support only: production code never imports
// it.
//
// Contract. Every method is a POST to /bot<token>/<method> with
// form-encoded (or JSON) parameters, answered {"ok":true,"result":…} or
// {"ok":false,"error_code":…,"description":…[,"parameters":{"retry_after":N}]}
// with the matching HTTP status. Implemented: getMe, setWebhook,
// deleteWebhook, getWebhookInfo, getUpdates (long polling with offset
// confirmation, 409 while a webhook is set), sendMessage, editMessageText
// and answerCallbackQuery, with the Bot API's checks that matter to an
// adapter: MarkdownV2 must parse (reserved characters escaped), text at
// most 4096 characters, callback_data at most 64 bytes, a callback query
// answered once with at most 200 characters, only known chats, "message is
// not modified" on an identical edit, and editing without reply_markup
// removes the inline keyboard.
//
// A test injects what a user does (SendText, Press, or any Update with
// Deliver): with a webhook registered the update is POSTed to it at once
// (with the secret in X-Telegram-Bot-Api-Secret-Token) and Deliver returns
// its HTTP status (Status reads it later); otherwise it waits for
// getUpdates. Redeliver sends an update a second time. What the bot did is
// a log of Events (sends, edits, callback answers) read with Events; Fail
// and RateLimit make the next calls of a method fail.
//
// Typical use, with the adapter in webhook mode mounted on a test server:
//
//	tg := telegramtest.Start(t, telegramtest.Options{})
//	ad, _ := telegram.New(ctx, core, telegram.Options{Tenant: "acme",
//		Token: tg.Token, APIURL: tg.APIURL(), Mode: "webhook",
//		WebhookURL: hook.URL + "/hooks/telegram/default", Secret: "s3cret"})
//	go ad.Run(ctx) // registers the webhook with the fake
//	alice := telegramtest.User{ID: 111, FirstName: "Alice"}
//	seq := tg.Seq()
//	u := tg.SendText(t, alice, telegramtest.Private(alice), "list servers")
//	for _, e := range tg.Events(seq) { … e.Kind, e.Text, e.Buttons … }
//	tg.Press(t, alice, alice.ID, cardMessageID, "a:p_…")
//
// In poll mode (no webhook registered) SendText only queues the update;
// WaitConfirmed(t, u) returns once the bot has handled and confirmed it.
package telegramtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"
	"time"
)

// Options configure the fake.
type Options struct {
	Token string // default "123456:TEST-token"
	Bot   User   // default id 1000, "steward_bot"
}

// Server is the fake Bot API.
type Server struct {
	*httptest.Server
	Token string
	Bot   User

	client *http.Client

	mu        sync.Mutex
	wake      chan struct{} // closed and replaced when an update is queued
	nextUpd   int
	nextCB    int
	chats     map[int64]Chat
	nextMsg   map[int64]int
	msgs      map[[2]int64]*stored
	pending   []Update
	confirmed int // updates below this id were confirmed by getUpdates
	fetched   map[int]int
	status    map[int]int
	hookURL   string
	hookSec   string
	answered  map[string]bool
	queries   map[string]bool
	failures  map[string][]failure
	calls     map[string]int
	log       []Event
}

type stored struct {
	msg    Message
	raw    string
	parse  string
	byBot  bool
	edited int
}

type failure struct {
	status     int
	retryAfter int
}

// Event is one thing the bot did, in order.
type Event struct {
	Seq  int
	Kind string // "send", "edit" or "answer"
	// Send and edit: the message as it now reads.
	ChatID    int64
	MessageID int
	ReplyTo   int    // the message a send replies to, 0 when none
	Text      string // as a person reads it (markup removed)
	Raw       string // as the bot sent it
	ParseMode string
	Buttons   []Button // the inline keyboard, row after row
	// Answer: the callback query answered, its text and whether it was an alert.
	CallbackID string
	Alert      bool
}

// Start runs a fake Bot API until the test ends.
func Start(tb testing.TB, o Options) *Server {
	tb.Helper()
	if o.Token == "" {
		o.Token = "123456:TEST-token"
	}
	if o.Bot.ID == 0 {
		o.Bot = User{ID: 1000, IsBot: true, FirstName: "Steward", Username: "steward_bot"}
	}
	s := &Server{
		Token: o.Token, Bot: o.Bot,
		client:  &http.Client{Timeout: 60 * time.Second},
		wake:    make(chan struct{}),
		nextUpd: 500000,
		chats:   map[int64]Chat{}, nextMsg: map[int64]int{}, msgs: map[[2]int64]*stored{},
		fetched: map[int]int{}, status: map[int]int{}, answered: map[string]bool{}, queries: map[string]bool{},
		failures: map[string][]failure{}, calls: map[string]int{},
	}
	s.Server = httptest.NewServer(http.HandlerFunc(s.serve))
	tb.Cleanup(s.Close)
	return s
}

// APIURL is the endpoint pattern for tgbotapi.NewBotAPIWithAPIEndpoint.
func (s *Server) APIURL() string { return s.URL + "/bot%s/%s" }

// ---- what a user does ----

// SendText has from send text in chat; see Deliver for what happens next.
func (s *Server) SendText(tb testing.TB, from User, chat Chat, text string) Update {
	tb.Helper()
	s.mu.Lock()
	s.chats[chat.ID] = chat
	m := &stored{msg: Message{MessageID: s.newMsgID(chat.ID), From: &from, Chat: chat, Date: time.Now().Unix(), Text: text}, raw: text}
	s.msgs[[2]int64{chat.ID, int64(m.msg.MessageID)}] = m
	u := Update{UpdateID: s.newUpdateID(), Message: &m.msg}
	s.mu.Unlock()
	s.Deliver(tb, u)
	return u
}

// Press has from press the inline button carrying data on a message of
// chat. Like a Telegram client, it carries the message as it now reads;
// unlike Telegram, it does not check that the message has such a button
// (so tests can send what a forged or stale client would).
func (s *Server) Press(tb testing.TB, from User, chatID int64, messageID int, data string) Update {
	tb.Helper()
	s.mu.Lock()
	var msg *Message
	if m, ok := s.msgs[[2]int64{chatID, int64(messageID)}]; ok {
		c := m.msg
		msg = &c
	} else {
		msg = &Message{MessageID: messageID, Chat: s.chatOf(chatID), From: &s.Bot}
	}
	s.nextCB++
	id := fmt.Sprintf("%d%06d", from.ID, s.nextCB)
	s.queries[id] = true
	u := Update{UpdateID: s.newUpdateID(), CallbackQuery: &CallbackQuery{ID: id, From: from, Message: msg, ChatInstance: fmt.Sprint(chatID), Data: data}}
	s.mu.Unlock()
	s.Deliver(tb, u)
	return u
}

// Deliver hands an update to the bot as Telegram would: POSTed to the
// registered webhook (the answer's status is returned), or queued for
// getUpdates (0 is returned). See Redeliver for delivering one again.
func (s *Server) Deliver(tb testing.TB, u Update) int {
	tb.Helper()
	s.mu.Lock()
	hook, secret := s.hookURL, s.hookSec
	if hook == "" {
		s.queue(u)
		s.mu.Unlock()
		return 0
	}
	s.mu.Unlock()
	body, _ := json.Marshal(u)
	req, err := http.NewRequest(http.MethodPost, hook, bytes.NewReader(body))
	if err != nil {
		tb.Fatalf("webhook request: %v", err)
	}
	req.Header.Set("Content-Type", "application/json")
	if secret != "" {
		req.Header.Set("X-Telegram-Bot-Api-Secret-Token", secret)
	}
	resp, err := s.client.Do(req)
	if err != nil {
		tb.Fatalf("webhook: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	s.mu.Lock()
	s.status[u.UpdateID] = resp.StatusCode
	s.mu.Unlock()
	return resp.StatusCode
}

// Status is the HTTP status the webhook last answered for an update (0
// when it was never POSTed).
func (s *Server) Status(u Update) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.status[u.UpdateID]
}

// Redeliver delivers an update again and returns it as delivered. With a
// webhook it is POSTed again unchanged. Without one, an update the bot has
// not confirmed yet is simply still queued; one it has confirmed is queued
// again under a new update_id (Telegram never returns a confirmed update:
// this is the same message or press reaching the bot a second time).
func (s *Server) Redeliver(tb testing.TB, u Update) Update {
	tb.Helper()
	s.mu.Lock()
	if s.hookURL == "" && u.UpdateID < s.confirmed {
		u.UpdateID = s.newUpdateID()
	}
	s.mu.Unlock()
	s.Deliver(tb, u)
	return u
}

func (s *Server) queue(u Update) {
	for _, p := range s.pending {
		if p.UpdateID == u.UpdateID {
			return
		}
	}
	s.pending = append(s.pending, u)
	close(s.wake)
	s.wake = make(chan struct{})
}

// WaitConfirmed waits until getUpdates has been called with an offset
// above the update (the bot confirmed it), failing the test after 10 s.
func (s *Server) WaitConfirmed(tb testing.TB, u Update) {
	tb.Helper()
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		s.mu.Lock()
		ok := s.confirmed > u.UpdateID
		s.mu.Unlock()
		if ok {
			return
		}
		time.Sleep(5 * time.Millisecond)
	}
	tb.Fatalf("update %d never confirmed", u.UpdateID)
}

// Fetched is how many times getUpdates returned the update.
func (s *Server) Fetched(u Update) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.fetched[u.UpdateID]
}

// ---- what the bot did ----

// Events returns what the bot did after sequence number after (0: all).
func (s *Server) Events(after int) []Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Event
	for _, e := range s.log {
		if e.Seq > after {
			out = append(out, e)
		}
	}
	return out
}

// Seq is the sequence number of the latest event (0 when none).
func (s *Server) Seq() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.log)
}

// Message returns a message as it now reads.
func (s *Server) Message(chatID int64, id int) (Event, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[[2]int64{chatID, int64(id)}]
	if !ok {
		return Event{}, false
	}
	return Event{ChatID: chatID, MessageID: id, Text: m.msg.Text, Raw: m.raw, ParseMode: m.parse, Buttons: buttons(m.msg.ReplyMarkup)}, true
}

// Webhook returns the registered webhook URL and secret ("" when none).
func (s *Server) Webhook() (url, secret string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.hookURL, s.hookSec
}

// SetWebhook registers a webhook as if the bot had called setWebhook.
func (s *Server) SetWebhook(url, secret string) {
	s.mu.Lock()
	s.hookURL, s.hookSec = url, secret
	s.mu.Unlock()
}

// Calls is how many times the bot called method (failed calls included).
func (s *Server) Calls(method string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.calls[method]
}

// RateLimit makes the next times calls of method answer 429 Too Many
// Requests with retry_after seconds.
func (s *Server) RateLimit(method string, times, retryAfter int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.failures[method] = append(s.failures[method], failure{status: http.StatusTooManyRequests, retryAfter: retryAfter})
	}
}

// Fail makes the next times calls of method answer status (such as 500
// or 502) with an error body.
func (s *Server) Fail(method string, times, status int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for range times {
		s.failures[method] = append(s.failures[method], failure{status: status})
	}
}
