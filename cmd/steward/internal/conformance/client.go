package conformance

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"time"
)

// client speaks the gateway's HTTP API as a demo user.
type client struct {
	base string
	http *http.Client
}

// reply is one part of a turn outcome.
type reply struct {
	Type         string          `json:"type"`
	Text         string          `json:"text"`
	Code         string          `json:"code"`
	ProposalID   string          `json:"proposal_id"`
	Tool         string          `json:"tool"`
	SafetyLevel  int             `json:"safety_level"`
	Impact       json.RawMessage `json:"impact"`
	DangerPhrase bool            `json:"danger_phrase_required"`
	CoolingUntil string          `json:"cooling_until"`
	ExpiresAt    string          `json:"expires_at"`
	State        string          `json:"state"`
}

// outcome is a turn outcome (or, with Error set, a request-level error).
type outcome struct {
	Status  int
	Raw     string
	Turn    string  `json:"turn_id"`
	Replies []reply `json:"replies"`
	Decided []struct {
		Proposal string `json:"proposal_id"`
		State    string `json:"state"`
	} `json:"decided"`
	Error *struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// code is the outcome's error code: the request-level one, or its first
// error reply; "" when none.
func (o outcome) code() string {
	if o.Error != nil {
		return o.Error.Code
	}
	for _, r := range o.Replies {
		if r.Type == "error" {
			return r.Code
		}
	}
	return ""
}

// proposal is the outcome's proposal card, if any.
func (o outcome) proposal() *reply {
	for i, r := range o.Replies {
		if r.Type == "proposal" {
			return &o.Replies[i]
		}
	}
	return nil
}

func (o outcome) has(typ string) bool {
	for _, r := range o.Replies {
		if r.Type == typ {
			return true
		}
	}
	return false
}

func (c *client) do(ctx context.Context, method, path, token, ctype string, body []byte) (outcome, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(body))
	if err != nil {
		return outcome{}, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if ctype != "" {
		req.Header.Set("Content-Type", ctype)
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return outcome{}, err
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return outcome{}, err
	}
	o := outcome{Status: resp.StatusCode, Raw: string(raw)}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &o); err != nil {
			return o, fmt.Errorf("%s %s: %w", method, path, err)
		}
	}
	return o, nil
}

// say sends a text turn as the user of token.
func (c *client) say(ctx context.Context, token, text string) (outcome, error) {
	b, _ := json.Marshal(map[string]string{"text": text})
	return c.do(ctx, http.MethodPost, "/v1/messages", token, "application/json", b)
}

// decide accepts or rejects a proposal.
func (c *client) decide(ctx context.Context, token, id, decision, phrase string) (outcome, error) {
	body := map[string]string{"decision": decision}
	if phrase != "" {
		body["phrase"] = phrase
	}
	b, _ := json.Marshal(body)
	return c.do(ctx, http.MethodPost, "/v1/proposals/"+id, token, "application/json", b)
}

// get reads a path's body as text.
func (c *client) get(ctx context.Context, url string) (int, string, error) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return 0, "", err
	}
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, "", err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 8<<20))
	return resp.StatusCode, string(b), err
}
