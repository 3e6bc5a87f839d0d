// Package llmtest is a fake OpenAI-compatible server for tests: it speaks
// the real chat completions wire format (a JSON body in, a
// chat.completion object out, with content or tool_calls whose arguments
// are a JSON string, usage counts, and the API's error envelope), refuses
// streaming, and answers each request with whatever the test's script
// returns: content, tool calls, an error status (429 with retry-after),
// an invalid body, or a delay. It records every request it received.
//
// Test support only: production code never imports it.
package llmtest

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"
)

// Message is one message of a request.
type Message struct {
	Role    string `json:"role"`
	Content string `json:"content"`
}

// Body is a chat completions request as sent.
type Body struct {
	Model               string          `json:"model"`
	Messages            []Message       `json:"messages"`
	ResponseFormat      json.RawMessage `json:"response_format,omitempty"`
	Tools               []Tool          `json:"tools,omitempty"`
	ToolChoice          json.RawMessage `json:"tool_choice,omitempty"`
	MaxTokens           int             `json:"max_tokens,omitempty"`
	MaxCompletionTokens int             `json:"max_completion_tokens,omitempty"`
	Stream              bool            `json:"stream,omitempty"`
}

// Tool is one function tool offered in a request.
type Tool struct {
	Type     string `json:"type"`
	Function struct {
		Name        string          `json:"name"`
		Description string          `json:"description"`
		Parameters  json.RawMessage `json:"parameters"`
	} `json:"function"`
}

// Request is what the fake received.
type Request struct {
	Path   string
	Query  string
	Header http.Header
	Body   Body
}

// Format is the name of the request's json_schema response format ("" for none).
func (r Request) Format() string {
	var f struct {
		Type       string `json:"type"`
		JSONSchema struct {
			Name string `json:"name"`
		} `json:"json_schema"`
	}
	_ = json.Unmarshal(r.Body.ResponseFormat, &f)
	return f.JSONSchema.Name
}

// Stage tells which kind of question a request is: "route", "plan" or
// "narrate", from its response format or the functions it offers.
func (r Request) Stage() string {
	name := r.Format()
	for _, t := range r.Body.Tools {
		if t.Function.Name == "steward_route" {
			name = "steward_route"
		}
		if t.Function.Name == "ask_user" {
			name = "steward_plan"
		}
	}
	switch name {
	case "steward_route":
		return "route"
	case "steward_plan":
		return "plan"
	}
	return "narrate"
}

// Prompt is every message's content, joined.
func (r Request) Prompt() string {
	var b strings.Builder
	for _, m := range r.Body.Messages {
		b.WriteString(m.Content)
		b.WriteByte('\n')
	}
	return b.String()
}

// Last is the last message's content.
func (r Request) Last() string {
	if len(r.Body.Messages) == 0 {
		return ""
	}
	return r.Body.Messages[len(r.Body.Messages)-1].Content
}

// Call is one function call of an answer.
type Call struct {
	Name      string
	Arguments string // a JSON string, as the API sends it
}

// Response is the script's answer to one request.
type Response struct {
	Status     int               // 0 = 200
	Header     map[string]string // e.g. "Retry-After"
	Delay      time.Duration     // before answering (a slow model); the fake gives up when the client does
	Content    string
	Calls      []Call
	Error      string // error message for a non-200 status
	Raw        string // a body sent as it is (invalid JSON, …)
	Prompt     int    // usage: prompt tokens (default: the request's bytes / 4)
	Completion int    // usage: completion tokens (default: the answer's bytes / 4)
}

// Reply answers with content.
func Reply(content string) Response { return Response{Content: content} }

// JSON answers with v encoded as the content.
func JSON(v any) Response {
	b, _ := json.Marshal(v)
	return Response{Content: string(b)}
}

// Fail answers with an API error.
func Fail(status int, msg string) Response { return Response{Status: status, Error: msg} }

// RateLimited answers 429 with a retry-after in seconds.
func RateLimited(seconds int) Response {
	return Response{Status: http.StatusTooManyRequests, Error: "Rate limit reached", Header: map[string]string{"Retry-After": fmt.Sprint(seconds)}}
}

// Server is a running fake.
type Server struct {
	// URL is the base URL to configure: the server's address and "/v1/".
	URL    string
	srv    *httptest.Server
	mu     sync.Mutex
	reqs   []Request
	script func(Request) Response
	busy   time.Duration // time spent answering, all requests
}

// New starts a fake answering with script; it stops when the test ends.
func New(t testing.TB, script func(Request) Response) *Server {
	s := &Server{script: script}
	s.srv = httptest.NewServer(http.HandlerFunc(s.serve))
	t.Cleanup(s.srv.Close)
	s.URL = s.srv.URL + "/v1/"
	return s
}

// SetScript replaces the script.
func (s *Server) SetScript(script func(Request) Response) {
	s.mu.Lock()
	s.script = script
	s.mu.Unlock()
}

// Requests returns what the fake received, in order.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Request(nil), s.reqs...)
}

// Count is how many requests arrived.
func (s *Server) Count() int { return len(s.Requests()) }

// Busy is how long the fake spent answering so far: from reading a
// request's body to writing its answer, delays included — the model's
// share of a turn.
func (s *Server) Busy() time.Duration {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.busy
}

func (s *Server) serve(w http.ResponseWriter, r *http.Request) {
	start := time.Now()
	defer func() {
		s.mu.Lock()
		s.busy += time.Since(start)
		s.mu.Unlock()
	}()
	raw, _ := io.ReadAll(r.Body)
	req := Request{Path: r.URL.Path, Query: r.URL.RawQuery, Header: r.Header.Clone()}
	if err := json.Unmarshal(raw, &req.Body); err != nil || !strings.HasSuffix(r.URL.Path, "/chat/completions") || r.Method != http.MethodPost {
		apiError(w, http.StatusBadRequest, "the fake serves POST …/chat/completions with a JSON body")
		return
	}
	if req.Body.Stream {
		apiError(w, http.StatusBadRequest, "streaming is off in this fake")
		return
	}
	s.mu.Lock()
	s.reqs = append(s.reqs, req)
	script := s.script
	s.mu.Unlock()
	resp := script(req)
	if resp.Delay > 0 {
		select {
		case <-time.After(resp.Delay):
		case <-r.Context().Done():
			return
		}
	}
	for k, v := range resp.Header {
		w.Header().Set(k, v)
	}
	switch {
	case resp.Raw != "":
		w.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(w, resp.Raw)
	case resp.Status != 0 && resp.Status != http.StatusOK:
		apiError(w, resp.Status, resp.Error)
	default:
		writeCompletion(w, req, resp, len(raw))
	}
}

// apiError writes the API's error envelope.
func apiError(w http.ResponseWriter, status int, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	typ := "invalid_request_error"
	if status >= 500 {
		typ = "server_error"
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": typ, "param": nil, "code": nil}})
}

// writeCompletion writes a chat.completion object.
func writeCompletion(w http.ResponseWriter, req Request, resp Response, reqBytes int) {
	msg := map[string]any{"role": "assistant", "content": resp.Content, "refusal": nil}
	finish := "stop"
	if len(resp.Calls) > 0 {
		calls := make([]map[string]any, len(resp.Calls))
		for i, c := range resp.Calls {
			calls[i] = map[string]any{"id": fmt.Sprintf("call_%d", i+1), "type": "function", "function": map[string]any{"name": c.Name, "arguments": c.Arguments}}
		}
		msg["content"], msg["tool_calls"], finish = nil, calls, "tool_calls"
	}
	prompt, completion := resp.Prompt, resp.Completion
	if prompt == 0 {
		prompt = reqBytes/4 + 1
	}
	if completion == 0 {
		n := len(resp.Content)
		for _, c := range resp.Calls {
			n += len(c.Name) + len(c.Arguments)
		}
		completion = n/4 + 1
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{
		"id": "chatcmpl-fake", "object": "chat.completion", "created": 1767225600, "model": req.Body.Model,
		"choices": []any{map[string]any{"index": 0, "message": msg, "finish_reason": finish, "logprobs": nil}},
		"usage":   map[string]any{"prompt_tokens": prompt, "completion_tokens": completion, "total_tokens": prompt + completion},
	})
}
