package slacktest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// The client library dials with Origin https://api.slack.com.
var upgrader = websocket.Upgrader{CheckOrigin: func(*http.Request) bool { return true }}

func (s *Server) socket(w http.ResponseWriter, r *http.Request) {
	c, err := upgrader.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = c.Close()
		return
	}
	old := s.conn
	s.conn = c
	s.notify()
	s.mu.Unlock()
	if old != nil {
		_ = old.Close()
	}
	hello := map[string]any{"type": "hello", "num_connections": 1, "debug_info": map[string]any{"host": "fake", "approximate_connection_time": 18060}, "connection_info": map[string]any{"app_id": s.o.AppID}}
	if err := s.write(c, hello); err != nil {
		return
	}
	done := make(chan struct{})
	defer close(done)
	go s.ping(c, done)
	for {
		var ack struct {
			EnvelopeID string          `json:"envelope_id"`
			Payload    json.RawMessage `json:"payload"`
		}
		if err := c.ReadJSON(&ack); err != nil {
			s.mu.Lock()
			if s.conn == c {
				s.conn = nil
				s.notify()
			}
			s.mu.Unlock()
			return
		}
		s.mu.Lock()
		s.acks[ack.EnvelopeID] = true
		s.notify()
		s.mu.Unlock()
	}
}

func (s *Server) ping(c *websocket.Conn, done chan struct{}) {
	t := time.NewTicker(s.o.PingEvery)
	defer t.Stop()
	for {
		select {
		case <-done:
			return
		case <-t.C:
			s.connWrite.Lock()
			err := c.WriteControl(websocket.PingMessage, []byte("ping"), time.Now().Add(5*time.Second))
			s.connWrite.Unlock()
			if err != nil {
				return
			}
		}
	}
}

func (s *Server) write(c *websocket.Conn, v any) error {
	s.connWrite.Lock()
	defer s.connWrite.Unlock()
	_ = c.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.WriteJSON(v)
}

// WaitConnected waits until a Socket Mode client is connected.
func (s *Server) WaitConnected(ctx context.Context) error {
	for {
		s.mu.Lock()
		ok, ch := s.conn != nil, s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("no socket mode connection: %w", ctx.Err())
		}
	}
}

// Acked reports whether the bot acknowledged an envelope.
func (s *Server) Acked(envelopeID string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.acks[envelopeID]
}

// ErrNoSocket is returned when an envelope cannot be sent.
var ErrNoSocket = errors.New("slacktest: no socket mode connection")

// SendEnvelope sends one Socket Mode envelope ({"type": typ,
// "envelope_id": id, "payload": payload}, with retry_attempt when retry >
// 0) and waits until the bot acknowledges it or ctx ends.
func (s *Server) SendEnvelope(ctx context.Context, typ, id string, payload json.RawMessage, retry int) error {
	if err := s.WaitConnected(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return ErrNoSocket
	}
	env := map[string]any{"type": typ, "envelope_id": id, "payload": payload, "accepts_response_payload": typ == "interactive", "retry_attempt": retry}
	if retry > 0 {
		env["retry_reason"] = "timeout"
	}
	if err := s.write(c, env); err != nil {
		return fmt.Errorf("slacktest: send envelope: %w", err)
	}
	for {
		s.mu.Lock()
		ok, ch := s.acks[id], s.changed
		s.mu.Unlock()
		if ok {
			return nil
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("slacktest: envelope %s not acknowledged: %w", id, ctx.Err())
		}
	}
}

// SendRaw writes a raw frame on the socket (for malformed envelopes).
func (s *Server) SendRaw(ctx context.Context, frame []byte) error {
	if err := s.WaitConnected(ctx); err != nil {
		return err
	}
	s.mu.Lock()
	c := s.conn
	s.mu.Unlock()
	if c == nil {
		return ErrNoSocket
	}
	s.connWrite.Lock()
	defer s.connWrite.Unlock()
	return c.WriteMessage(websocket.TextMessage, frame)
}
