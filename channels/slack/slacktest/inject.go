package slacktest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"time"
)

// Message is a message a user sends.
type Message struct {
	EventID string // the Events API event_id (the dedupe key); default: a fresh one
	User    string
	Channel string // "D…" for a direct message, "C…" for a channel
	// ChannelType is "im" for a direct message, "channel", "group" or
	// "mpim"; default "im" for a channel id starting with D, else "channel".
	ChannelType string
	Text        string // as the user typed it; escaped here as Slack does
	TS          string // default: a fresh one
	ThreadTS    string // set for a reply in a thread
	// Mention sends an app_mention event (a channel message naming the
	// bot): "<@BOT> " is put before the text.
	Mention bool
	SubType string // "bot_message", "message_changed", …
	BotID   string
	Retry   int // X-Slack-Retry-Num (HTTP) or retry_attempt (socket)
}

// Press is a button press on a message (a block_actions interaction).
type Press struct {
	TriggerID string // unique per press; default: a fresh one
	User      string
	Channel   string
	MessageTS string // the message that has the button
	ThreadTS  string // that message's thread, if any
	ActionID  string
	Value     string
	Retry     int // socket retry_attempt
}

// Result is how the bot answered a delivery: the HTTP status and body
// (Events API), or Acked over the socket.
type Result struct {
	Status int
	Body   string
	Acked  bool
}

func slackEscape(s string) string {
	return stringsReplacer.Replace(s)
}

// EventJSON builds the event_callback the Events API delivers for m.
func (s *Server) EventJSON(m Message) (eventID string, body []byte) {
	s.fill(&m)
	ev := map[string]any{"type": "message", "user": m.User, "text": slackEscape(m.Text), "ts": m.TS, "channel": m.Channel, "event_ts": m.TS, "channel_type": m.ChannelType}
	if m.Mention {
		ev = map[string]any{"type": "app_mention", "user": m.User, "text": "<@" + s.o.BotUserID + "> " + slackEscape(m.Text), "ts": m.TS, "channel": m.Channel, "event_ts": m.TS}
	}
	if m.ThreadTS != "" {
		ev["thread_ts"] = m.ThreadTS
	}
	if m.SubType != "" {
		ev["subtype"] = m.SubType
	}
	if m.BotID != "" {
		ev["bot_id"] = m.BotID
	}
	if m.User == "" {
		delete(ev, "user")
	}
	b, _ := json.Marshal(map[string]any{
		"token": "verification-token", "team_id": s.o.TeamID, "api_app_id": s.o.AppID, "type": "event_callback",
		"event_id": m.EventID, "event_time": 1700000000, "event": ev,
		"authorizations": []map[string]any{{"team_id": s.o.TeamID, "user_id": s.o.BotUserID, "is_bot": true}},
	})
	return m.EventID, b
}

func (s *Server) fill(m *Message) {
	if m.EventID == "" {
		m.EventID = "Ev" + s.NextTS()
	}
	if m.TS == "" {
		m.TS = s.NextTS()
	}
	if m.ChannelType == "" && !m.Mention {
		m.ChannelType = "channel"
		if len(m.Channel) > 0 && m.Channel[0] == 'D' {
			m.ChannelType = "im"
		}
	}
}

// PayloadJSON builds the block_actions payload for p.
func (s *Server) PayloadJSON(p Press) (triggerID string, body []byte) {
	if p.TriggerID == "" {
		p.TriggerID = "trig." + s.NextTS()
	}
	actionTS := s.NextTS()
	container := map[string]any{"type": "message", "message_ts": p.MessageTS, "channel_id": p.Channel, "is_ephemeral": false}
	msg := map[string]any{"type": "message", "user": s.o.BotUserID, "bot_id": s.o.BotID, "ts": p.MessageTS}
	if p.ThreadTS != "" {
		container["thread_ts"] = p.ThreadTS
		msg["thread_ts"] = p.ThreadTS
	}
	if m, ok := s.MessageAt(p.Channel, p.MessageTS); ok {
		msg["text"] = m.Text
		if m.Blocks != nil {
			msg["blocks"] = m.Blocks
		}
	}
	b, _ := json.Marshal(map[string]any{
		"type": "block_actions", "token": "verification-token", "api_app_id": s.o.AppID, "trigger_id": p.TriggerID,
		"team":      map[string]any{"id": s.o.TeamID, "domain": "fake"},
		"user":      map[string]any{"id": p.User, "username": p.User, "team_id": s.o.TeamID},
		"channel":   map[string]any{"id": p.Channel, "name": p.Channel},
		"container": container, "message": msg,
		"response_url": s.srv.URL + "/response/" + p.TriggerID,
		"actions": []map[string]any{{"type": "button", "action_id": p.ActionID, "block_id": "decide", "value": p.Value,
			"action_ts": actionTS, "text": map[string]any{"type": "plain_text", "text": "button"}}},
	})
	return p.TriggerID, b
}

// Message delivers a user's message, over the socket or to the events
// URL (see SetEventsURL), and returns the event id used.
func (s *Server) Message(ctx context.Context, m Message) (string, Result, error) {
	id, body := s.EventJSON(m)
	r, err := s.deliver(ctx, "events_api", "/events", "application/json", body, m.Retry)
	return id, r, err
}

// Press delivers a button press and returns the trigger id used.
func (s *Server) Press(ctx context.Context, p Press) (string, Result, error) {
	id, body := s.PayloadJSON(p)
	form := url.Values{"payload": {string(body)}}.Encode()
	s.mu.Lock()
	viaHTTP := s.eventsURL != ""
	s.mu.Unlock()
	if viaHTTP {
		r, err := s.deliver(ctx, "interactive", "/interactions", "application/x-www-form-urlencoded", []byte(form), p.Retry)
		return id, r, err
	}
	r, err := s.deliver(ctx, "interactive", "", "", body, p.Retry)
	return id, r, err
}

func (s *Server) deliver(ctx context.Context, typ, path, contentType string, body []byte, retry int) (Result, error) {
	s.mu.Lock()
	base := s.eventsURL
	s.mu.Unlock()
	if base == "" {
		env := "env-" + s.NextTS()
		if err := s.SendEnvelope(ctx, typ, env, body, retry); err != nil {
			return Result{}, err
		}
		return Result{Acked: true}, nil
	}
	h := http.Header{"Content-Type": {contentType}}
	s.SignHeader(h, time.Now(), body)
	if retry > 0 {
		h.Set("X-Slack-Retry-Num", strconv.Itoa(retry))
		h.Set("X-Slack-Retry-Reason", "http_timeout")
	}
	return s.Post(ctx, base+path, h, body)
}

// Sign is Slack's v0 signature of a request body sent at ts.
func (s *Server) Sign(ts time.Time, body []byte) string {
	return Sign(s.o.SigningSecret, ts, body)
}

// Sign computes "v0=" + hex HMAC-SHA256(secret, "v0:<unix ts>:" + body).
func Sign(secret string, ts time.Time, body []byte) string {
	m := hmac.New(sha256.New, []byte(secret))
	fmt.Fprintf(m, "v0:%d:", ts.Unix())
	m.Write(body)
	return "v0=" + hex.EncodeToString(m.Sum(nil))
}

// SignHeader sets X-Slack-Request-Timestamp and X-Slack-Signature.
func (s *Server) SignHeader(h http.Header, ts time.Time, body []byte) {
	h.Set("X-Slack-Request-Timestamp", strconv.FormatInt(ts.Unix(), 10))
	h.Set("X-Slack-Signature", s.Sign(ts, body))
}

// Post sends a request as Slack would (any headers the caller sets,
// signed or not) and returns the answer.
func (s *Server) Post(ctx context.Context, target string, h http.Header, body []byte) (Result, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return Result{}, fmt.Errorf("slacktest: %w", err)
	}
	req.Header = h
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Result{}, fmt.Errorf("slacktest: post %s: %w", target, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return Result{Status: resp.StatusCode, Body: string(b)}, nil
}
