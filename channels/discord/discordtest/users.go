package discordtest

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"
)

// In is a message a user sends.
type In struct {
	// ID is the message id (default: a new one).
	ID string
	// ChannelID is where it is sent (default: the author's DM channel).
	ChannelID string
	// GuildID is set for a guild channel.
	GuildID  string
	Author   User
	Content  string
	Mentions []User
}

// Say sends a user's message to the bot as a MESSAGE_CREATE dispatch and
// returns its id.
func (s *Server) Say(m In) (string, error) {
	s.mu.Lock()
	if m.ID == "" {
		m.ID = s.id()
	}
	if m.ChannelID == "" {
		m.ChannelID = s.dmLocked(m.Author.ID)
	}
	msg := &Message{ID: m.ID, ChannelID: m.ChannelID, GuildID: m.GuildID, Author: m.Author, Content: m.Content}
	if _, ok := s.messages[m.ID]; !ok {
		s.order = append(s.order, m.ID)
	}
	s.messages[m.ID] = msg
	w := s.wire(msg)
	s.mu.Unlock()
	if m.Mentions != nil {
		w.Mentions = m.Mentions
	}
	return m.ID, s.Dispatch("MESSAGE_CREATE", w)
}

// Press is a user pressing a button on one of the bot's messages.
type Press struct {
	// ID is the interaction id (default: a new one).
	ID string
	// MessageID is the message the button is on.
	MessageID string
	CustomID  string
	User      User
	// GuildID is set when the message is in a guild channel.
	GuildID string
}

// Interaction builds the interaction payload of a press (type 3,
// MESSAGE_COMPONENT), registering its id and token so the bot can answer
// it once. Building it again with the same id is a redelivery of that
// interaction (Discord itself does not redeliver; tests of dedupe do),
// which may be answered once more.
func (s *Server) Interaction(p Press) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[p.MessageID]
	if !ok {
		return nil, fmt.Errorf("discordtest: no message %q", p.MessageID)
	}
	if p.ID == "" {
		p.ID = s.id()
	}
	if p.GuildID == "" {
		p.GuildID = m.GuildID
	}
	token := "itoken-" + p.ID
	in, ok := s.interactions[p.ID]
	if !ok {
		in = &interaction{id: p.ID, token: token, channel: m.ChannelID, message: m.ID, user: p.User.ID}
		s.interactions[p.ID] = in
		s.byToken[token] = in
	}
	in.answered = false // a redelivery is waiting for an answer again
	v := map[string]any{
		"id": p.ID, "application_id": s.o.AppID, "type": 3, "token": in.token, "version": 1,
		"channel_id": m.ChannelID, "message": s.wire(m), "app_permissions": "0", "locale": "en-US",
		"data": map[string]any{"custom_id": p.CustomID, "component_type": 2},
	}
	if p.GuildID != "" {
		v["guild_id"] = p.GuildID
		v["member"] = map[string]any{"user": p.User, "roles": []string{}, "permissions": "0"}
	} else {
		v["user"] = p.User
	}
	return json.Marshal(v)
}

// PressGateway delivers a press as an INTERACTION_CREATE dispatch; the bot
// answers it by REST.
func (s *Server) PressGateway(p Press) error {
	raw, err := s.Interaction(p)
	if err != nil {
		return err
	}
	return s.Dispatch("INTERACTION_CREATE", json.RawMessage(raw))
}

// Reply is the bot's answer to an HTTP interaction.
type Reply struct {
	Status int
	// Type is the interaction response type of a 200 answer.
	Type int
	Body []byte
}

// PressHTTP delivers a press as a signed HTTP interaction to the bot's
// endpoint, gives the bot 3 seconds to answer as Discord does, and applies
// the answer (an UPDATE_MESSAGE edits the card).
func (s *Server) PressHTTP(ctx context.Context, endpoint string, p Press) (Reply, error) {
	if p.ID == "" {
		s.mu.Lock()
		p.ID = s.id()
		s.mu.Unlock()
	}
	raw, err := s.Interaction(p)
	if err != nil {
		return Reply{}, err
	}
	rep, err := s.Post(ctx, endpoint, raw, s.Sign(raw, s.o.Now()))
	if err != nil || rep.Status != http.StatusOK {
		return rep, err
	}
	var cb callbackBody
	if err := json.Unmarshal(rep.Body, &cb); err != nil {
		return rep, fmt.Errorf("discordtest: the bot answered an interaction with %q: %w", rep.Body, err)
	}
	rep.Type = cb.Type
	s.mu.Lock()
	token := s.interactions[p.ID].token
	s.mu.Unlock()
	if status, e := s.answer(p.ID, token, cb, "http"); status != http.StatusNoContent {
		return rep, fmt.Errorf("discordtest: interaction answer refused: %d %s", status, e.Message)
	}
	return rep, nil
}

// Ping sends a signed PING (type 1), as Discord does when the endpoint URL
// is saved.
func (s *Server) Ping(ctx context.Context, endpoint string) (Reply, error) {
	raw, _ := json.Marshal(map[string]any{"id": "ping-" + strconv.FormatInt(s.o.Now().UnixNano(), 10), "application_id": s.o.AppID, "type": 1, "token": "ping", "version": 1})
	rep, err := s.Post(ctx, endpoint, raw, s.Sign(raw, s.o.Now()))
	if err == nil && rep.Status == http.StatusOK {
		var cb callbackBody
		if json.Unmarshal(rep.Body, &cb) == nil {
			rep.Type = cb.Type
		}
	}
	return rep, err
}

// Sign returns the headers Discord sends with an interaction: an Ed25519
// signature over the timestamp and the body.
func (s *Server) Sign(body []byte, at time.Time) http.Header {
	ts := strconv.FormatInt(at.Unix(), 10)
	sig := ed25519.Sign(s.priv, append([]byte(ts), body...))
	h := http.Header{}
	h.Set("Content-Type", "application/json")
	h.Set("X-Signature-Ed25519", hex.EncodeToString(sig))
	h.Set("X-Signature-Timestamp", ts)
	return h
}

// Post sends a raw interaction request with the given headers (for bad
// input: a wrong signature, a stale timestamp, a malformed body), with
// Discord's 3-second deadline.
func (s *Server) Post(ctx context.Context, endpoint string, body []byte, h http.Header) (Reply, error) {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, endpoint, bytes.NewReader(body))
	if err != nil {
		return Reply{}, err
	}
	for k, v := range h {
		req.Header[k] = v
	}
	if req.Header.Get("Content-Type") == "" {
		req.Header.Set("Content-Type", "application/json")
	}
	req.Header.Set("User-Agent", "Discord-Interactions/1.0 (+https://discord.com)")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return Reply{}, fmt.Errorf("discordtest: interaction not answered in time: %w", err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return Reply{Status: resp.StatusCode, Body: b}, err
}
