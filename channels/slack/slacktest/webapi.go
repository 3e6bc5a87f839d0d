package slacktest

import (
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"strings"
)

// The Web API: form-encoded POSTs to /api/<method>, answered
// {"ok":true,…} or {"ok":false,"error":…} with status 200, or 429 with
// Retry-After when a rate limit is set.

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

func fail(w http.ResponseWriter, code string) {
	writeJSON(w, http.StatusOK, map[string]any{"ok": false, "error": code})
}

func bearer(r *http.Request) string {
	if t, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer "); ok {
		return t
	}
	return r.PostForm.Get("token")
}

func (s *Server) api(w http.ResponseWriter, r *http.Request) {
	method := r.PathValue("method")
	if r.Method != http.MethodPost {
		writeJSON(w, http.StatusMethodNotAllowed, map[string]any{"ok": false, "error": "method_not_allowed"})
		return
	}
	if strings.HasPrefix(r.Header.Get("Content-Type"), "application/x-www-form-urlencoded") {
		if err := r.ParseForm(); err != nil {
			fail(w, "invalid_form_data")
			return
		}
	}
	s.mu.Lock()
	if l := s.limits[method]; l != nil && l.n > 0 {
		l.n--
		s.limited[method]++
		s.mu.Unlock()
		w.Header().Set("Retry-After", strconv.Itoa(l.after))
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"ok": false, "error": "ratelimited"})
		return
	}
	s.mu.Unlock()
	tok := bearer(r)
	if method == "apps.connections.open" {
		if tok != s.o.AppToken {
			fail(w, "invalid_auth")
			return
		}
		s.mu.Lock()
		s.opens++
		s.mu.Unlock()
		u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/link"
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": u})
		return
	}
	if tok != s.o.BotToken {
		fail(w, "invalid_auth")
		return
	}
	f := r.PostForm
	switch method {
	case "auth.test":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "url": "https://fake.example/", "team": "Fake", "user": "steward", "team_id": s.o.TeamID, "user_id": s.o.BotUserID, "bot_id": s.o.BotID})
	case "conversations.open":
		users := f.Get("users")
		if users == "" || strings.Contains(users, ",") {
			fail(w, "users_list_not_supplied")
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": map[string]any{"id": DMChannel(users)}})
	case "chat.postMessage", "chat.postEphemeral", "chat.update":
		s.chat(w, method, f)
	default:
		fail(w, "unknown_method")
	}
}

// DMChannel is the id of the fake's direct conversation with a user.
func DMChannel(user string) string { return "D" + user }

// Slack's limits, enforced as the platform does.
const (
	MaxText        = 40000 // characters of a message's text
	MaxSectionText = 3000  // characters of a section block's text
	MaxBlocks      = 50
)

func (s *Server) chat(w http.ResponseWriter, method string, f url.Values) {
	c := Call{Method: method, Channel: f.Get("channel"), ThreadTS: f.Get("thread_ts"), User: f.Get("user"), Text: f.Get("text")}
	if c.Channel == "" {
		fail(w, "channel_not_found")
		return
	}
	if b := f.Get("blocks"); b != "" {
		c.Blocks = json.RawMessage(b)
		if code := checkBlocks(c.Blocks); code != "" {
			fail(w, code)
			return
		}
	}
	if c.Text == "" && c.Blocks == nil {
		fail(w, "no_text")
		return
	}
	if len([]rune(c.Text)) > MaxText {
		fail(w, "msg_too_long")
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	switch method {
	case "chat.postMessage":
		c.TS = s.nextTS()
	case "chat.postEphemeral":
		if c.User == "" {
			fail(w, "user_not_in_channel")
			return
		}
		c.TS = s.nextTS()
	case "chat.update":
		c.TS = f.Get("ts")
		m, ok := s.messages[c.Channel+"/"+c.TS]
		if !ok {
			fail(w, "message_not_found")
			return
		}
		c.ThreadTS = m.ThreadTS
		m.Text = c.Text
		if _, ok := f["blocks"]; ok {
			m.Blocks = c.Blocks
		}
	}
	c.Seq = len(s.calls) + 1
	s.calls = append(s.calls, c)
	if method == "chat.postMessage" {
		m := c
		s.messages[c.Channel+"/"+c.TS] = &m
	}
	s.notify()
	switch method {
	case "chat.postEphemeral":
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "message_ts": c.TS})
	default:
		writeJSON(w, http.StatusOK, map[string]any{"ok": true, "channel": c.Channel, "ts": c.TS, "text": c.Text,
			"message": map[string]any{"type": "message", "user": s.o.BotUserID, "bot_id": s.o.BotID, "text": c.Text, "ts": c.TS, "thread_ts": c.ThreadTS, "blocks": c.Blocks}})
	}
}

func checkBlocks(raw json.RawMessage) string {
	var blocks []Block
	if err := json.Unmarshal(raw, &blocks); err != nil {
		return "invalid_blocks_format"
	}
	if len(blocks) > MaxBlocks {
		return "invalid_blocks"
	}
	for _, b := range blocks {
		if b.Type == "" {
			return "invalid_blocks"
		}
		if b.Text != nil && len([]rune(b.Text.Text)) > MaxSectionText {
			return "invalid_blocks"
		}
	}
	return ""
}
