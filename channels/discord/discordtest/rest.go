package discordtest

// The REST API: the routes the bot uses, in Discord's JSON shapes.

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
)

type apiError struct {
	Message string `json:"message"`
	Code    int    `json:"code"`
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// wireMessage is a message as Discord's API returns it.
type wireMessage struct {
	ID          string      `json:"id"`
	Type        int         `json:"type"`
	ChannelID   string      `json:"channel_id"`
	GuildID     string      `json:"guild_id,omitempty"`
	Author      User        `json:"author"`
	Content     string      `json:"content"`
	Timestamp   string      `json:"timestamp"`
	Mentions    []User      `json:"mentions"`
	Components  []wireRow   `json:"components"`
	Flags       int         `json:"flags,omitempty"`
	Reference   *wireMsgRef `json:"message_reference,omitempty"`
	Attachments []struct{}  `json:"attachments"`
	Embeds      []struct{}  `json:"embeds"`
}

type wireRow struct {
	Type       int          `json:"type"`
	Components []wireButton `json:"components"`
}

type wireButton struct {
	Type int `json:"type"`
	Button
}

type wireMsgRef struct {
	MessageID string `json:"message_id"`
	ChannelID string `json:"channel_id,omitempty"`
}

func (s *Server) wire(m *Message) wireMessage {
	w := wireMessage{ID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, Author: m.Author, Content: m.Content,
		Timestamp: s.o.Now().UTC().Format(time.RFC3339), Mentions: []User{}, Components: []wireRow{}, Flags: m.Flags,
		Attachments: []struct{}{}, Embeds: []struct{}{}}
	if len(m.Buttons) > 0 {
		row := wireRow{Type: 1}
		for _, b := range m.Buttons {
			row.Components = append(row.Components, wireButton{Type: 2, Button: b})
		}
		w.Components = []wireRow{row}
	}
	if m.Reference != "" {
		w.Reference = &wireMsgRef{MessageID: m.Reference, ChannelID: m.ChannelID}
	}
	return w
}

// body is what the bot sends to create or edit a message.
type body struct {
	Content         *string         `json:"content"`
	Components      *[]wireRow      `json:"components"`
	Flags           int             `json:"flags"`
	AllowedMentions json.RawMessage `json:"allowed_mentions"`
	Reference       *wireMsgRef     `json:"message_reference"`
	RecipientID     string          `json:"recipient_id"`
}

// tooLong reports content over Discord's 2000 characters.
func (b body) tooLong() bool {
	return b.Content != nil && len([]rune(*b.Content)) > 2000
}

func (b body) buttons() []Button {
	if b.Components == nil {
		return nil
	}
	var out []Button
	for _, r := range *b.Components {
		for _, c := range r.Components {
			out = append(out, c.Button)
		}
	}
	return out
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	path := r.URL.Path
	if path == "/gateway" || path == "/gateway/" {
		s.serveGateway(w, r)
		return
	}
	rest, ok := strings.CutPrefix(path, "/api/v9/")
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{"404: Not Found", 0})
		return
	}
	parts := strings.Split(rest, "/")
	raw, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
	if err != nil {
		writeJSON(w, http.StatusBadRequest, apiError{"400: Bad Request", 0})
		return
	}
	// Interaction callbacks and webhooks authenticate by their token.
	if len(parts) == 4 && parts[0] == "interactions" && parts[3] == "callback" && r.Method == http.MethodPost {
		var cb callbackBody
		if err := json.Unmarshal(raw, &cb); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"The request body contains invalid JSON.", 50109})
			return
		}
		if status, e := s.answer(parts[1], parts[2], cb, "rest"); status != http.StatusNoContent {
			writeJSON(w, status, e)
			return
		}
		w.WriteHeader(http.StatusNoContent)
		return
	}
	var b body
	if len(raw) > 0 {
		if err := json.Unmarshal(raw, &b); err != nil {
			writeJSON(w, http.StatusBadRequest, apiError{"The request body contains invalid JSON.", 50109})
			return
		}
	}
	switch {
	case len(parts) >= 3 && parts[0] == "webhooks":
		s.webhook(w, r, parts, b)
		return
	}
	if r.Header.Get("Authorization") != "Bot "+s.o.Token {
		writeJSON(w, http.StatusUnauthorized, apiError{"401: Unauthorized", 0})
		return
	}
	s.serveBot(w, r, rest, parts, b)
}

// serveBot serves the REST routes a bot token authenticates.
func (s *Server) serveBot(w http.ResponseWriter, r *http.Request, rest string, parts []string, b body) {
	switch {
	case r.Method == http.MethodGet && (rest == "gateway" || rest == "gateway/bot"):
		u := "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway"
		writeJSON(w, http.StatusOK, map[string]any{"url": u, "shards": 1,
			"session_start_limit": map[string]int{"total": 1000, "remaining": 999, "reset_after": 0, "max_concurrency": 1}})
	case r.Method == http.MethodGet && rest == "users/@me":
		writeJSON(w, http.StatusOK, s.Bot())
	case r.Method == http.MethodPost && rest == "users/@me/channels":
		if b.RecipientID == "" {
			writeJSON(w, http.StatusBadRequest, apiError{"Invalid Form Body", 50035})
			return
		}
		s.mu.Lock()
		c := s.dmLocked(b.RecipientID)
		s.recordLocked(Record{Kind: "dm", ChannelID: c})
		s.mu.Unlock()
		writeJSON(w, http.StatusOK, map[string]any{"id": c, "type": 1, "recipients": []User{{ID: b.RecipientID}}})
	case len(parts) == 3 && parts[0] == "channels" && parts[2] == "messages" && r.Method == http.MethodPost:
		s.create(w, parts[1], b)
	case len(parts) == 4 && parts[0] == "channels" && parts[2] == "messages" && r.Method == http.MethodPatch:
		s.edit(w, parts[1], parts[3], b, "", "rest")
	case len(parts) == 4 && parts[0] == "channels" && parts[2] == "messages" && r.Method == http.MethodGet:
		s.getMessage(w, parts[1], parts[3])
	default:
		writeJSON(w, http.StatusNotFound, apiError{"404: Not Found", 0})
	}
}

// getMessage serves GET /channels/{channel}/messages/{id}.
func (s *Server) getMessage(w http.ResponseWriter, channel, id string) {
	s.mu.Lock()
	m, ok := s.messages[id]
	var wm wireMessage
	if ok && m.ChannelID == channel {
		wm = s.wire(m)
	}
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{"Unknown Message", 10008})
		return
	}
	writeJSON(w, http.StatusOK, wm)
}

func (s *Server) create(w http.ResponseWriter, channel string, b body) {
	s.mu.Lock()
	if s.limited > 0 {
		s.limited--
		s.served429++
		ra := s.retryAfter
		s.mu.Unlock()
		secs := ra.Seconds()
		w.Header().Set("Retry-After", strconv.Itoa(int(ra.Seconds()+0.999)))
		w.Header().Set("X-RateLimit-Limit", "5")
		w.Header().Set("X-RateLimit-Remaining", "0")
		w.Header().Set("X-RateLimit-Reset-After", strconv.FormatFloat(secs, 'f', 3, 64))
		w.Header().Set("X-RateLimit-Scope", "user")
		writeJSON(w, http.StatusTooManyRequests, map[string]any{"message": "You are being rate limited.", "retry_after": secs, "global": false})
		return
	}
	defer s.mu.Unlock()
	if b.Content == nil || (*b.Content == "" && b.Components == nil) {
		writeJSON(w, http.StatusBadRequest, apiError{"Cannot send an empty message", 50006})
		return
	}
	if b.tooLong() {
		writeJSON(w, http.StatusBadRequest, apiError{"Invalid Form Body: content: Must be 2000 or fewer in length.", 50035})
		return
	}
	m := &Message{ID: s.id(), ChannelID: channel, Author: s.Bot(), Content: *b.Content, Buttons: b.buttons(), Flags: b.Flags}
	if b.Reference != nil {
		m.Reference = b.Reference.MessageID
	}
	s.messages[m.ID] = m
	s.order = append(s.order, m.ID)
	s.recordLocked(Record{Kind: "create", ChannelID: channel, MessageID: m.ID, Content: m.Content, Buttons: m.Buttons,
		Flags: m.Flags, Reference: m.Reference, Components: b.Components != nil, AllowedMentions: b.AllowedMentions})
	writeJSON(w, http.StatusOK, s.wire(m))
}

func (s *Server) edit(w http.ResponseWriter, channel, id string, b body, inter, via string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[id]
	if !ok || (channel != "" && m.ChannelID != channel) {
		writeJSON(w, http.StatusNotFound, apiError{"Unknown Message", 10008})
		return
	}
	if b.tooLong() {
		writeJSON(w, http.StatusBadRequest, apiError{"Invalid Form Body: content: Must be 2000 or fewer in length.", 50035})
		return
	}
	s.applyLocked(m, b)
	s.recordLocked(Record{Kind: "edit", ChannelID: m.ChannelID, MessageID: id, Interaction: inter, Content: m.Content, Buttons: m.Buttons,
		Components: b.Components != nil, AllowedMentions: b.AllowedMentions, Via: via})
	if w != nil {
		writeJSON(w, http.StatusOK, s.wire(m))
	}
}

func (s *Server) applyLocked(m *Message, b body) {
	if b.Content != nil {
		m.Content = *b.Content
	}
	if b.Components != nil {
		m.Buttons = b.buttons()
	}
	m.Edited++
}

// callbackBody is an interaction response.
type callbackBody struct {
	Type int   `json:"type"`
	Data *body `json:"data"`
}

// answer applies an interaction's initial response (REST or HTTP).
func (s *Server) answer(id, token string, cb callbackBody, via string) (int, apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	in, ok := s.interactions[id]
	if !ok || in.token != token {
		return http.StatusNotFound, apiError{"Unknown interaction", 10062}
	}
	if in.answered {
		return http.StatusBadRequest, apiError{"Interaction has already been acknowledged.", 40060}
	}
	if cb.Data != nil && cb.Data.tooLong() {
		return http.StatusBadRequest, apiError{"Invalid Form Body: data.content: Must be 2000 or fewer in length.", 50035}
	}
	in.answered = true
	r := Record{Kind: "callback", Interaction: id, Type: cb.Type, ChannelID: in.channel, Via: via}
	if cb.Data != nil {
		if cb.Data.Content != nil {
			r.Content = *cb.Data.Content
		}
		r.Buttons, r.Flags, r.Components, r.AllowedMentions = cb.Data.buttons(), cb.Data.Flags, cb.Data.Components != nil, cb.Data.AllowedMentions
	}
	switch cb.Type {
	case 7: // UPDATE_MESSAGE: edit the message the button was on
		r.MessageID = in.message
		if m, ok := s.messages[in.message]; ok && cb.Data != nil {
			s.applyLocked(m, *cb.Data)
			r.Content, r.Buttons = m.Content, m.Buttons
		}
	case 4: // CHANNEL_MESSAGE_WITH_SOURCE
		m := &Message{ID: s.id(), ChannelID: in.channel, Author: s.Bot(), Content: r.Content, Buttons: r.Buttons, Flags: r.Flags}
		if r.Flags&64 != 0 {
			m.For = in.user
		}
		s.messages[m.ID] = m
		s.order = append(s.order, m.ID)
		r.MessageID = m.ID
	case 1, 5, 6:
	default:
		in.answered = false
		return http.StatusBadRequest, apiError{"Invalid Form Body: type", 50035}
	}
	s.recordLocked(r)
	return http.StatusNoContent, apiError{}
}

func (s *Server) webhook(w http.ResponseWriter, r *http.Request, parts []string, b body) {
	// /webhooks/{app}/{token} (POST: follow-up) and
	// /webhooks/{app}/{token}/messages/{id|@original} (PATCH: edit).
	if parts[1] != s.o.AppID {
		writeJSON(w, http.StatusNotFound, apiError{"Unknown Webhook", 10015})
		return
	}
	s.mu.Lock()
	in, ok := s.byToken[parts[2]]
	s.mu.Unlock()
	if !ok {
		writeJSON(w, http.StatusNotFound, apiError{"Unknown Webhook", 10015})
		return
	}
	switch {
	case len(parts) == 3 && r.Method == http.MethodPost:
		if b.tooLong() {
			writeJSON(w, http.StatusBadRequest, apiError{"Invalid Form Body: content: Must be 2000 or fewer in length.", 50035})
			return
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		content := ""
		if b.Content != nil {
			content = *b.Content
		}
		m := &Message{ID: s.id(), ChannelID: in.channel, Author: s.Bot(), Content: content, Buttons: b.buttons(), Flags: b.Flags}
		if b.Flags&64 != 0 {
			m.For = in.user
		}
		s.messages[m.ID] = m
		s.order = append(s.order, m.ID)
		s.recordLocked(Record{Kind: "followup", Interaction: in.id, ChannelID: in.channel, MessageID: m.ID, Content: content,
			Buttons: m.Buttons, Flags: b.Flags, AllowedMentions: b.AllowedMentions})
		writeJSON(w, http.StatusOK, s.wire(m))
	case len(parts) == 5 && parts[3] == "messages" && r.Method == http.MethodPatch:
		id := parts[4]
		if id == "@original" {
			id = in.message
		}
		s.edit(w, "", id, b, in.id, "rest")
	default:
		writeJSON(w, http.StatusNotFound, apiError{"404: Not Found", 0})
	}
}

func (s *Server) String() string { return fmt.Sprintf("discordtest(%s)", s.srv.URL) }
