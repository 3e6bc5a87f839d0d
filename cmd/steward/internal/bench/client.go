package bench

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"time"

	"github.com/gorilla/websocket"
)

// inFrame is any server frame.
type inFrame struct {
	Type      string            `json:"type"`
	InReplyTo string            `json:"in_reply_to"`
	TurnID    string            `json:"turn_id"`
	Replies   []json.RawMessage `json:"replies"`
	Code      string            `json:"code"`
	Message   string            `json:"message"`
	Actor     string            `json:"actor"`
	Tenant    string            `json:"tenant"`
}

// inPart is a reply part (session.MarshalPart).
type inPart struct {
	Type        string `json:"type"`
	Text        string `json:"text"`
	Code        string `json:"code"`
	Message     string `json:"message"`
	ProposalID  string `json:"proposal_id"`
	Tool        string `json:"tool"`
	SafetyLevel int    `json:"safety_level"`
	Impact      struct {
		Targets []json.RawMessage `json:"targets"`
		Backup  string            `json:"backup"`
		Summary string            `json:"summary"`
	} `json:"impact"`
	DangerPhraseRequired bool       `json:"danger_phrase_required"`
	CoolingUntil         *time.Time `json:"cooling_until"`
}

type msgFrame struct {
	Type string `json:"type"`
	ID   string `json:"id"`
	Text string `json:"text"`
}

type decisionFrame struct {
	Type       string `json:"type"`
	ID         string `json:"id"`
	ProposalID string `json:"proposal_id"`
	Decision   string `json:"decision"`
	Phrase     string `json:"phrase,omitempty"`
}

// dialSession opens /ws, authenticates and waits for ready.
func dialSession(ctx context.Context, addr, token string, timeout time.Duration) (*websocket.Conn, *inFrame, error) {
	d := websocket.Dialer{HandshakeTimeout: timeout, ReadBufferSize: 4096, WriteBufferSize: 4096}
	ws, resp, err := d.DialContext(ctx, "ws://"+addr+"/ws", http.Header{"Origin": {"http://" + addr}})
	if err != nil {
		if resp != nil {
			return nil, nil, fmt.Errorf("dial: %w (HTTP %d)", err, resp.StatusCode)
		}
		return nil, nil, fmt.Errorf("dial: %w", err)
	}
	_ = ws.SetWriteDeadline(time.Now().Add(timeout))
	if err := ws.WriteJSON(map[string]string{"type": "auth", "token": token}); err != nil {
		ws.Close()
		return nil, nil, fmt.Errorf("auth: %w", err)
	}
	_ = ws.SetReadDeadline(time.Now().Add(timeout))
	var f inFrame
	if err := ws.ReadJSON(&f); err != nil {
		ws.Close()
		return nil, nil, fmt.Errorf("auth: %w", err)
	}
	if f.Type != "ready" {
		ws.Close()
		return nil, nil, fmt.Errorf("auth refused: %s %s", f.Code, f.Message)
	}
	_ = ws.SetReadDeadline(time.Time{})
	_ = ws.SetWriteDeadline(time.Time{})
	return ws, &f, nil
}
