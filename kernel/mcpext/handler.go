package mcpext

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"unicode/utf8"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/jsonrpc"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/sdk"
)

// maxErrorText bounds the part of a server's error text shown to a user.
const maxErrorText = 300

// handler calls one tool of the server. The kernel has validated the
// arguments against the server's own input schema, authorized the call
// and passed the gate before Invoke runs.
type handler struct {
	c       *conn
	name    string // in Steward
	remote  string // as the server lists it
	params  json.RawMessage
	returns json.RawMessage
}

func (h *handler) Name() string { return h.name }

// ParamsSchema is the server's input schema.
func (h *handler) ParamsSchema() (*jsonschema.Schema, error) {
	if len(h.params) == 0 {
		return nil, errors.New("the server gives no input schema")
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(h.params, &s); err != nil {
		return nil, fmt.Errorf("input schema: %w", err)
	}
	return &s, nil
}

// ResultSchema is the server's output schema, nil without one.
func (h *handler) ResultSchema() (*jsonschema.Schema, error) {
	if len(h.returns) == 0 {
		return nil, nil
	}
	var s jsonschema.Schema
	if err := json.Unmarshal(h.returns, &s); err != nil {
		return nil, fmt.Errorf("output schema: %w", err)
	}
	return &s, nil
}

// Invoke calls the tool. Its result, as the server sent it (content,
// structured content), is what the kernel records verbatim in the ledger:
// data, never instructions. A result the server marks as an error is the
// user-facing error tool_failed with the server's text (cut); a server
// that is down or stops answering is "unavailable".
func (h *handler) Invoke(ctx context.Context, _ sdk.Caller, _ sdk.Env, args json.RawMessage) (any, error) {
	cs, err := h.c.current()
	if err != nil {
		return nil, err
	}
	if len(args) == 0 {
		args = json.RawMessage("{}")
	}
	res, err := cs.CallTool(ctx, &mcp.CallToolParams{Name: h.remote, Arguments: args})
	if err != nil {
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		var werr *jsonrpc.Error
		if errors.As(err, &werr) {
			return nil, &sdk.Error{Code: "tool_failed", Message: fmt.Sprintf("%s.%s was refused by its server: %s", h.c.srv.name, h.name, cut(werr.Message))}
		}
		_ = cs.Close() // a transport failure: restart the connection
		return nil, &sdk.Error{Code: "unavailable", Message: fmt.Sprintf("The %s tools are unavailable: their server did not answer. Try again in a moment.", h.c.srv.name)}
	}
	if res.IsError {
		return nil, &sdk.Error{Code: "tool_failed", Message: fmt.Sprintf("%s.%s failed: %s", h.c.srv.name, h.name, cut(text(res)))}
	}
	raw, err := json.Marshal(res)
	if err != nil {
		return nil, fmt.Errorf("encode result: %w", err)
	}
	return json.RawMessage(raw), nil
}

// text joins a result's text contents.
func text(res *mcp.CallToolResult) string {
	var parts []string
	for _, c := range res.Content {
		if t, ok := c.(*mcp.TextContent); ok {
			parts = append(parts, t.Text)
		}
	}
	return strings.Join(parts, " ")
}

func cut(s string) string {
	if len(s) <= maxErrorText {
		return s
	}
	s = s[:maxErrorText]
	for !utf8.ValidString(s) {
		s = s[:len(s)-1]
	}
	return s + "…"
}
