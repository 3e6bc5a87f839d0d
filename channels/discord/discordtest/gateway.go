package discordtest

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/gorilla/websocket"
)

// gwConn is one bot's gateway connection.
type gwConn struct {
	ws         *websocket.Conn
	mu         sync.Mutex // one writer at a time
	seq        int64
	identified bool
	once       sync.Once
}

type frame struct {
	Op int             `json:"op"`
	D  json.RawMessage `json:"d"`
	S  *int64          `json:"s,omitempty"`
	T  string          `json:"t,omitempty"`
}

func (c *gwConn) send(op int, t string, d any) error {
	raw, err := json.Marshal(d)
	if err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	f := frame{Op: op, D: raw, T: t}
	if op == 0 {
		c.seq++
		s := c.seq
		f.S = &s
	}
	_ = c.ws.SetWriteDeadline(time.Now().Add(5 * time.Second))
	return c.ws.WriteJSON(f)
}

func (c *gwConn) close() {
	c.once.Do(func() {
		c.mu.Lock()
		_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(websocket.CloseGoingAway, "fake closing"), time.Now().Add(time.Second))
		c.mu.Unlock()
		_ = c.ws.Close()
	})
}

// serveGateway speaks the gateway: Hello, Identify → READY, heartbeats.
func (s *Server) serveGateway(w http.ResponseWriter, r *http.Request) {
	if r.URL.Query().Get("v") != "9" || r.URL.Query().Get("encoding") != "json" {
		http.Error(w, "want ?v=9&encoding=json", http.StatusBadRequest)
		return
	}
	ws, err := s.up.Upgrade(w, r, nil)
	if err != nil {
		return
	}
	c := &gwConn{ws: ws}
	s.mu.Lock()
	s.conns[c] = struct{}{}
	s.mu.Unlock()
	defer func() {
		s.mu.Lock()
		delete(s.conns, c)
		s.mu.Unlock()
		c.close()
	}()
	if c.send(10, "", map[string]any{"heartbeat_interval": 41250}) != nil {
		return
	}
	for {
		_, raw, err := ws.ReadMessage()
		if err != nil {
			return
		}
		var f frame
		if json.Unmarshal(raw, &f) != nil {
			c.closeWith(4002, "Error while decoding payload.")
			return
		}
		switch f.Op {
		case 1: // heartbeat
			_ = c.send(11, "", nil)
		case 2: // identify
			var id Identify
			_ = json.Unmarshal(f.D, &id)
			s.mu.Lock()
			s.identifies = append(s.identifies, id)
			s.mu.Unlock()
			if id.Token != "Bot "+s.o.Token && id.Token != s.o.Token {
				c.closeWith(4004, "Authentication failed.")
				return
			}
			if err := c.send(0, "READY", map[string]any{
				"v": 9, "user": s.Bot(), "session_id": "fake-session", "guilds": []any{}, "private_channels": []any{},
				"resume_gateway_url": "ws" + strings.TrimPrefix(s.srv.URL, "http") + "/gateway",
				"application":        map[string]any{"id": s.o.AppID, "flags": 0},
			}); err != nil {
				return
			}
			s.mu.Lock()
			c.identified = true
			s.mu.Unlock()
		case 6: // resume
			var res struct {
				Token     string `json:"token"`
				SessionID string `json:"session_id"`
			}
			_ = json.Unmarshal(f.D, &res)
			if res.Token != "Bot "+s.o.Token && res.Token != s.o.Token || res.SessionID != "fake-session" {
				_ = c.send(9, "", false) // invalid session: identify again
				continue
			}
			if c.send(0, "RESUMED", map[string]any{}) != nil {
				return
			}
			s.mu.Lock()
			c.identified = true
			s.resumes++
			s.mu.Unlock()
		}
	}
}

func (c *gwConn) closeWith(code int, text string) {
	c.mu.Lock()
	_ = c.ws.WriteControl(websocket.CloseMessage, websocket.FormatCloseMessage(code, text), time.Now().Add(time.Second))
	c.mu.Unlock()
}

// ErrNoGateway is returned when no bot is connected to the gateway.
var ErrNoGateway = errors.New("discordtest: no bot is connected to the gateway")

// Connected reports whether a bot has identified on the gateway.
func (s *Server) Connected() bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	for c := range s.conns {
		if c.identified {
			return true
		}
	}
	return false
}

// WaitConnected waits until a bot has identified on the gateway.
func (s *Server) WaitConnected(timeout time.Duration) error {
	deadline := time.Now().Add(timeout)
	for !s.Connected() {
		if time.Now().After(deadline) {
			return ErrNoGateway
		}
		time.Sleep(10 * time.Millisecond)
	}
	return nil
}

// Dispatch sends a gateway event (op 0) to every identified bot.
func (s *Server) Dispatch(event string, d any) error {
	s.mu.Lock()
	var conns []*gwConn
	for c := range s.conns {
		if c.identified {
			conns = append(conns, c)
		}
	}
	s.mu.Unlock()
	if len(conns) == 0 {
		return ErrNoGateway
	}
	var errs []error
	for _, c := range conns {
		errs = append(errs, c.send(0, event, d))
	}
	return errors.Join(errs...)
}

// Drop closes every gateway connection abruptly (no close frame), as a
// network failure would; the client reconnects and resumes.
func (s *Server) Drop() {
	s.mu.Lock()
	var conns []*gwConn
	for c := range s.conns {
		conns = append(conns, c)
		delete(s.conns, c)
	}
	s.mu.Unlock()
	for _, c := range conns {
		c.once.Do(func() { _ = c.ws.Close() })
	}
}

// Resumes is how many sessions were resumed (op 6).
func (s *Server) Resumes() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.resumes
}
