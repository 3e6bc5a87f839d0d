package telegramtest

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"mime"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"
)

var rePath = regexp.MustCompile(`^/bot([^/]+)/([A-Za-z]+)$`)

type apiError struct {
	status     int
	desc       string
	retryAfter int
}

func bad(desc string) *apiError { return &apiError{status: 400, desc: "Bad Request: " + desc} }

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	m := rePath.FindStringSubmatch(r.URL.Path)
	if m == nil || r.Method != http.MethodPost && r.Method != http.MethodGet {
		writeErr(w, &apiError{status: 404, desc: "Not Found"})
		return
	}
	if m[1] != s.Token {
		writeErr(w, &apiError{status: 401, desc: "Unauthorized"})
		return
	}
	method := m[2]
	p, err := params(r)
	if err != nil {
		writeErr(w, bad(err.Error()))
		return
	}
	s.mu.Lock()
	s.calls[method]++
	if fs := s.failures[method]; len(fs) > 0 {
		f := fs[0]
		s.failures[method] = fs[1:]
		s.mu.Unlock()
		if f.status == http.StatusTooManyRequests {
			writeErr(w, &apiError{status: 429, desc: fmt.Sprintf("Too Many Requests: retry after %d", f.retryAfter), retryAfter: f.retryAfter})
		} else {
			writeErr(w, &apiError{status: f.status, desc: http.StatusText(f.status)})
		}
		return
	}
	s.mu.Unlock()
	var res any
	var aerr *apiError
	switch method {
	case "getMe":
		res = s.Bot
	case "setWebhook":
		res, aerr = s.setWebhook(p)
	case "deleteWebhook":
		s.mu.Lock()
		s.hookURL, s.hookSec = "", ""
		if p["drop_pending_updates"] == "true" {
			s.pending = nil
		}
		s.mu.Unlock()
		res = true
	case "getWebhookInfo":
		s.mu.Lock()
		res = map[string]any{"url": s.hookURL, "has_custom_certificate": false, "pending_update_count": len(s.pending)}
		s.mu.Unlock()
	case "getUpdates":
		res, aerr = s.getUpdates(r.Context(), p)
	case "sendMessage":
		res, aerr = s.sendMessage(p)
	case "editMessageText":
		res, aerr = s.editMessageText(p)
	case "answerCallbackQuery":
		res, aerr = s.answerCallback(p)
	default:
		aerr = &apiError{status: 404, desc: "Not Found: method not found"}
	}
	if aerr != nil {
		writeErr(w, aerr)
		return
	}
	body, _ := json.Marshal(map[string]any{"ok": true, "result": res})
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write(body)
}

func writeErr(w http.ResponseWriter, e *apiError) {
	v := map[string]any{"ok": false, "error_code": e.status, "description": e.desc}
	if e.retryAfter > 0 {
		v["parameters"] = map[string]int{"retry_after": e.retryAfter}
		w.Header().Set("Retry-After", strconv.Itoa(e.retryAfter))
	}
	body, _ := json.Marshal(v)
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(e.status)
	_, _ = w.Write(body)
}

// params reads a method's parameters from the query, a form or JSON body.
func params(r *http.Request) (map[string]string, error) {
	out := map[string]string{}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "application/json" {
		var raw map[string]any
		if err := json.NewDecoder(io.LimitReader(r.Body, 1<<20)).Decode(&raw); err != nil {
			return nil, fmt.Errorf("can't parse JSON body: %w", err)
		}
		for k, v := range raw {
			switch x := v.(type) {
			case string:
				out[k] = x
			default:
				b, _ := json.Marshal(x)
				out[k] = string(b)
			}
		}
		return out, nil
	}
	if ct == "multipart/form-data" {
		if err := r.ParseMultipartForm(1 << 20); err != nil {
			return nil, err
		}
	} else if err := r.ParseForm(); err != nil {
		return nil, err
	}
	for k, v := range r.Form {
		out[k] = v[0]
	}
	return out, nil
}

var reSecret = regexp.MustCompile(`^[A-Za-z0-9_-]{1,256}$`)

func (s *Server) setWebhook(p map[string]string) (any, *apiError) {
	u := p["url"]
	if u != "" && !strings.HasPrefix(u, "https://") && !strings.HasPrefix(u, "http://") {
		return nil, bad("bad webhook: An HTTPS URL must be provided for webhook")
	}
	if sec, ok := p["secret_token"]; ok && !reSecret.MatchString(sec) {
		return nil, bad("bad webhook: secret token contains unallowed characters")
	}
	s.mu.Lock()
	s.hookURL, s.hookSec = u, p["secret_token"]
	s.mu.Unlock()
	return true, nil
}

func (s *Server) getUpdates(ctx context.Context, p map[string]string) (any, *apiError) {
	offset, _ := strconv.Atoi(p["offset"])
	limit, _ := strconv.Atoi(p["limit"])
	if limit <= 0 || limit > 100 {
		limit = 100
	}
	timeout, _ := strconv.Atoi(p["timeout"])
	deadline := time.NewTimer(time.Duration(timeout) * time.Second)
	defer deadline.Stop()
	for {
		s.mu.Lock()
		if s.hookURL != "" {
			s.mu.Unlock()
			return nil, &apiError{status: 409, desc: "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook to delete the webhook first"}
		}
		if offset > 0 {
			keep := s.pending[:0]
			for _, u := range s.pending {
				if u.UpdateID >= offset {
					keep = append(keep, u)
				}
			}
			s.pending = keep
			s.confirmed = max(s.confirmed, offset)
		}
		out := []Update{}
		for _, u := range s.pending {
			if len(out) < limit {
				out = append(out, u)
				s.fetched[u.UpdateID]++
			}
		}
		wake := s.wake
		s.mu.Unlock()
		if len(out) > 0 || timeout <= 0 {
			return out, nil
		}
		select {
		case <-wake:
		case <-deadline.C:
			return []Update{}, nil
		case <-ctx.Done():
			return []Update{}, nil
		}
	}
}

func (s *Server) sendMessage(p map[string]string) (any, *apiError) {
	chatID, err := strconv.ParseInt(p["chat_id"], 10, 64)
	if err != nil {
		return nil, bad("chat not found")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	chat, ok := s.chats[chatID]
	if !ok {
		if chatID > 0 {
			return nil, &apiError{status: 403, desc: "Forbidden: bot can't initiate conversation with a user"}
		}
		return nil, bad("chat not found")
	}
	text, kb, aerr := render(p)
	if aerr != nil {
		return nil, aerr
	}
	m := &stored{msg: Message{From: &s.Bot, Chat: chat, Date: time.Now().Unix(), Text: text, ReplyMarkup: kb}, raw: p["text"], parse: p["parse_mode"], byBot: true}
	replyTo, _ := strconv.Atoi(p["reply_to_message_id"])
	if replyTo != 0 {
		orig, ok := s.msgs[[2]int64{chatID, int64(replyTo)}]
		switch {
		case ok:
			c := orig.msg
			c.ReplyTo = nil
			m.msg.ReplyTo = &c
		case p["allow_sending_without_reply"] != "true":
			return nil, bad("replied message not found")
		}
	}
	m.msg.MessageID = s.newMsgID(chatID)
	s.msgs[[2]int64{chatID, int64(m.msg.MessageID)}] = m
	s.log = append(s.log, Event{Seq: len(s.log) + 1, Kind: "send", ChatID: chatID, MessageID: m.msg.MessageID, ReplyTo: replyTo, Text: text, Raw: m.raw, ParseMode: m.parse, Buttons: buttons(kb)})
	return m.msg, nil
}

func (s *Server) editMessageText(p map[string]string) (any, *apiError) {
	if p["inline_message_id"] != "" {
		return nil, bad("inline messages are not supported by this fake")
	}
	chatID, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	id, _ := strconv.Atoi(p["message_id"])
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.msgs[[2]int64{chatID, int64(id)}]
	if !ok {
		return nil, bad("message to edit not found")
	}
	if !m.byBot {
		return nil, bad("message can't be edited")
	}
	text, kb, aerr := render(p)
	if aerr != nil {
		return nil, aerr
	}
	oldKB, _ := json.Marshal(m.msg.ReplyMarkup)
	newKB, _ := json.Marshal(kb)
	if text == m.msg.Text && bytes.Equal(oldKB, newKB) {
		return nil, bad("message is not modified: specified new message content and reply markup are exactly the same as a current content and reply markup of the message")
	}
	m.msg.Text, m.msg.ReplyMarkup, m.msg.EditDate = text, kb, time.Now().Unix()
	m.raw, m.parse = p["text"], p["parse_mode"]
	m.edited++
	s.log = append(s.log, Event{Seq: len(s.log) + 1, Kind: "edit", ChatID: chatID, MessageID: id, Text: text, Raw: m.raw, ParseMode: m.parse, Buttons: buttons(kb)})
	return m.msg, nil
}

func (s *Server) answerCallback(p map[string]string) (any, *apiError) {
	id := p["callback_query_id"]
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.queries[id] || s.answered[id] {
		return nil, bad("query is too old and response timeout expired or query ID is invalid")
	}
	if Length(p["text"]) > 200 {
		return nil, bad("MESSAGE_TOO_LONG")
	}
	s.answered[id] = true
	s.log = append(s.log, Event{Seq: len(s.log) + 1, Kind: "answer", CallbackID: id, Text: p["text"], Alert: p["show_alert"] == "true"})
	return true, nil
}

// render checks a message's text and keyboard as the Bot API does.
func render(p map[string]string) (string, *Keyboard, *apiError) {
	text := p["text"]
	switch p["parse_mode"] {
	case "":
	case "MarkdownV2":
		plain, err := PlainText(text)
		if err != nil {
			return "", nil, bad(err.Error())
		}
		text = plain
	default:
		return "", nil, bad("unsupported parse_mode " + p["parse_mode"] + " (this fake speaks MarkdownV2 only)")
	}
	if strings.TrimSpace(text) == "" {
		return "", nil, bad("message text is empty")
	}
	if Length(text) > 4096 {
		return "", nil, bad("message is too long")
	}
	var kb *Keyboard
	if raw := p["reply_markup"]; raw != "" {
		kb = &Keyboard{}
		if err := json.Unmarshal([]byte(raw), kb); err != nil {
			return "", nil, bad("can't parse reply keyboard markup JSON object")
		}
		for _, row := range kb.InlineKeyboard {
			for _, b := range row {
				if b.Text == "" || len(b.CallbackData) > 64 || (b.CallbackData == "" && b.URL == "") {
					return "", nil, bad("BUTTON_DATA_INVALID")
				}
			}
		}
	}
	return text, kb, nil
}

func buttons(kb *Keyboard) []Button {
	if kb == nil {
		return nil
	}
	var out []Button
	for _, row := range kb.InlineKeyboard {
		out = append(out, row...)
	}
	return out
}

func (s *Server) newMsgID(chat int64) int {
	s.nextMsg[chat]++
	return s.nextMsg[chat]
}

func (s *Server) newUpdateID() int {
	s.nextUpd++
	return s.nextUpd
}

func (s *Server) chatOf(id int64) Chat {
	if c, ok := s.chats[id]; ok {
		return c
	}
	return Chat{ID: id, Type: "private"}
}
