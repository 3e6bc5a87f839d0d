// Package mcpserver is the MCP channel: Steward as an MCP server, so that
// agents (desktop assistants, IDEs, other gateways) reach an actor's tools
// through the kernel's gate.
//
// Contract. Every session is one authenticated actor (a bearer token over
// HTTP, STEWARD_TOKEN over stdio). tools/list is that actor's own surface
// (core.Surface: their tenant's tools, within their role's scopes and
// ceiling) plus steward.decide. tools/call is a turn (core.Turns.Handle
// with a session.Call): the same stages as any channel — a call at level
// 0 runs; one that needs a person returns the proposal card (id, impact,
// arguments' hash, cooling, whether a phrase is needed) and runs nothing.
// Accepting is a person's act: through MCP elicitation when the client
// supports it (the person answers the form, the phrase typed there), or
// through steward.decide, which asks the person by elicitation too when
// it can; the kernel checks actor, expiry, cooling, phrase and hash
// either way. Resources expose the actor's recent facts, masked as for a
// model. The channel decides nothing itself and imports no kernel
// package.
package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Name is the channel's name in addresses and the audit trail.
const Name session.ChannelID = "mcp"

// DecideTool is the tool that decides a proposal.
const DecideTool = "steward.decide"

// FactsURI is the resource listing the actor's recent facts.
const FactsURI = "steward://facts/recent"

// Version is the server's version as MCP clients see it.
const Version = "1.0.0"

// Server builds MCP servers for actors over the core.
type Server struct {
	core  channels.Core
	log   *slog.Logger
	clock func() time.Time
}

// Options tune a Server.
type Options struct {
	Log *slog.Logger
	// Clock is the kernel's clock, to know whether a proposal is still
	// cooling (default time.Now).
	Clock func() time.Time
}

// New returns a Server over the core; the core must have a Surface.
func New(core channels.Core, o Options) (*Server, error) {
	if core.Turns == nil || core.Surface == nil {
		return nil, fmt.Errorf("the MCP channel needs the core's turns and surface")
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Clock == nil {
		o.Clock = time.Now
	}
	return &Server{core: core, log: o.Log, clock: o.Clock}, nil
}

// For is the MCP server of one actor: their tools, steward.decide and
// their facts.
func (s *Server) For(ctx context.Context, a session.Actor) (*mcp.Server, error) {
	tools, err := s.core.Surface.Tools(ctx, a)
	if err != nil {
		return nil, err
	}
	srv := mcp.NewServer(&mcp.Implementation{Name: "steward", Title: "Steward", Version: Version}, &mcp.ServerOptions{
		Instructions: "Tools of Steward for " + string(a.ID) + ". Calls at safety level 2 and above return a proposal and run nothing until a person accepts it (steward.decide, or the form this server shows).",
		Logger:       s.log,
	})
	for _, t := range tools {
		srv.AddTool(toolOf(t), s.callHandler(a, t))
	}
	srv.AddTool(&mcp.Tool{Name: DecideTool, Title: "Decide a proposal",
		Description: "Accept or reject one of your proposals by its id. Accepting asks you (the person) to confirm when this client can show a form; a level-4 proposal needs its danger phrase and may be accepted only after its cooling period.",
		InputSchema: decideSchema, Annotations: &mcp.ToolAnnotations{DestructiveHint: ptr(true)}}, s.decideHandler(a))
	srv.AddResource(&mcp.Resource{URI: FactsURI, Name: "facts", Title: "Your recent facts", MIMEType: "application/json",
		Description: "The verbatim results of your recent tool calls (masked), newest last."}, s.factsHandler(a))
	return srv, nil
}

func ptr[T any](v T) *T { return &v }

// toolOf is a tool as MCP clients see it; its annotations tell the agent
// honestly what a call does (level 0 reads, level ≥ 2 proposes).
func toolOf(t session.ToolView) *mcp.Tool {
	desc := t.Description
	if t.SafetyLevel >= 2 {
		desc += fmt.Sprintf(" (Safety level %d: a call returns a proposal and changes nothing until a person accepts it.)", t.SafetyLevel)
	}
	return &mcp.Tool{Name: string(t.ID), Description: desc, InputSchema: t.Parameters,
		Annotations: &mcp.ToolAnnotations{ReadOnlyHint: t.SafetyLevel == 0, DestructiveHint: ptr(t.SafetyLevel >= 3)}}
}

// callHandler runs a tools/call as a turn of the actor.
func (s *Server) callHandler(a session.Actor, t session.ToolView) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if len(req.Params.InputResponses) > 0 {
			return s.answered(ctx, a, req)
		}
		out, err := s.turn(ctx, a, session.Inbound{Call: &session.Call{Tool: t.ID, Args: req.Params.Arguments}})
		if err != nil {
			return nil, err
		}
		if card := cardOf(out); card != nil && canElicit(req) && !cooling(card, s.clock()) {
			return askPerson(card), nil
		}
		return result(out), nil
	}
}

// turn hands one inbound event of the actor to the core.
func (s *Server) turn(ctx context.Context, a session.Actor, in session.Inbound) (session.Outbound, error) {
	in.From = session.Address{Channel: Name, Account: string(a.ID)}
	in.At = s.clock()
	return s.core.Turns.Handle(ctx, a, in)
}

// factsHandler reads the actor's recent facts.
func (s *Server) factsHandler(a session.Actor) mcp.ResourceHandler {
	return func(ctx context.Context, req *mcp.ReadResourceRequest) (*mcp.ReadResourceResult, error) {
		if req.Params.URI != FactsURI {
			return nil, mcp.ResourceNotFoundError(req.Params.URI)
		}
		fs, err := s.core.Surface.Facts(ctx, a, 20)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(map[string]any{"facts": fs})
		if err != nil {
			return nil, err
		}
		return &mcp.ReadResourceResult{Contents: []*mcp.ResourceContents{{URI: FactsURI, MIMEType: "application/json", Text: string(b)}}}, nil
	}
}

// result is a turn's answer as an MCP result: its texts as text content,
// and its parts as structured content ({"replies": […]}, a proposal as
// "proposal", an error as "error" with IsError set).
func result(out session.Outbound) *mcp.CallToolResult {
	res := &mcp.CallToolResult{}
	structured := map[string]any{}
	var replies []json.RawMessage
	var texts []string
	for _, p := range out.Parts {
		if b, err := session.MarshalPart(p); err == nil {
			replies = append(replies, b)
		}
		switch x := p.(type) {
		case *session.Text:
			texts = append(texts, x.Text)
		case *session.Error:
			res.IsError = true
			structured["error"] = x
			texts = append(texts, fmt.Sprintf("%s: %s", x.Code, x.Message))
		case *session.ProposalCard:
			structured["proposal"] = x
			texts = append(texts, proposalText(x))
		case *session.Progress:
			texts = append(texts, fmt.Sprintf("Task %s (%s): %s %d%% %s", x.Task, x.Tool, x.State, x.Percent, x.Message))
		}
	}
	structured["replies"] = replies
	if len(out.Decided) > 0 {
		structured["decided"] = out.Decided
	}
	res.StructuredContent = structured
	res.Content = []mcp.Content{&mcp.TextContent{Text: strings.Join(texts, "\n")}}
	return res
}

// proposalText says what was proposed and how a person accepts it.
func proposalText(c *session.ProposalCard) string {
	var b strings.Builder
	fmt.Fprintf(&b, "Proposed, nothing was run: %s (level %d). %s\nProposal %s, arguments' hash %s, expires %s.",
		c.Summary, c.SafetyLevel, c.Impact.Summary, c.ID, c.ArgsHash, c.ExpiresAt.UTC().Format(time.RFC3339))
	if c.CoolingUntil != nil {
		fmt.Fprintf(&b, " It may be accepted only after %s (cooling period).", c.CoolingUntil.UTC().Format(time.RFC3339))
	}
	if c.DangerPhraseRequired {
		b.WriteString(" Accepting needs the danger phrase: the exact name of the target.")
	}
	fmt.Fprintf(&b, " A person accepts or rejects it with %s.", DecideTool)
	return b.String()
}

func cardOf(out session.Outbound) *session.ProposalCard {
	for _, p := range out.Parts {
		if c, ok := p.(*session.ProposalCard); ok {
			return c
		}
	}
	return nil
}

func cooling(c *session.ProposalCard, now time.Time) bool {
	return c.CoolingUntil != nil && now.Before(*c.CoolingUntil)
}

// ServeStdio serves one actor's session over a reader and a writer (the
// stdio form, steward mcp) until the client closes it or ctx ends.
func (s *Server) ServeStdio(ctx context.Context, a session.Actor, r io.Reader, w io.Writer) error {
	srv, err := s.For(ctx, a)
	if err != nil {
		return err
	}
	return srv.Run(ctx, &mcp.IOTransport{Reader: io.NopCloser(r), Writer: nopCloser{w}})
}

type nopCloser struct{ io.Writer }

func (nopCloser) Close() error { return nil }
