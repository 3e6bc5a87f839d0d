// Package mcptest helps tests drive an MCP session with the go-sdk
// client: list its tools, call one and read the answer. Test support
// only: production code never imports it.
package mcptest

import (
	"context"
	"encoding/json"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// Tools lists a session's tools by name.
func Tools(t testing.TB, cs *mcp.ClientSession) map[string]*mcp.Tool {
	t.Helper()
	out := map[string]*mcp.Tool{}
	for tl, err := range cs.Tools(context.Background(), nil) {
		if err != nil {
			t.Fatal(err)
		}
		out[tl.Name] = tl
	}
	return out
}

// Call calls a tool and fails the test on a protocol error.
func Call(t testing.TB, cs *mcp.ClientSession, tool string, args any) *mcp.CallToolResult {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s: %v", tool, err)
	}
	return res
}

// Text joins a result's text contents.
func Text(res *mcp.CallToolResult) string {
	var b []string
	for _, c := range res.Content {
		if x, ok := c.(*mcp.TextContent); ok {
			b = append(b, x.Text)
		}
	}
	return strings.Join(b, "\n")
}

// Structured is a result's structured content as a map.
func Structured(res *mcp.CallToolResult) map[string]any {
	var out map[string]any
	b, _ := json.Marshal(res.StructuredContent)
	_ = json.Unmarshal(b, &out)
	return out
}
