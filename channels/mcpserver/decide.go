package mcpserver

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"github.com/steward-os/steward/session"
)

// askKey names the one input request this server makes: a person's
// decision on a proposal.
const askKey = "decision"

var decideSchema = json.RawMessage(`{"type":"object","properties":{` +
	`"proposal_id":{"type":"string","description":"the proposal's id (p_…)"},` +
	`"decision":{"type":"string","enum":["accept","reject"]},` +
	`"phrase":{"type":"string","description":"the danger phrase of a level-4 proposal (asked of the person instead when this client can show a form)"}},` +
	`"required":["proposal_id","decision"],"additionalProperties":false}`)

type decideArgs struct {
	Proposal string `json:"proposal_id"`
	Decision string `json:"decision"`
	Phrase   string `json:"phrase"`
}

// canElicit reports whether the client can show its person a form.
func canElicit(req *mcp.CallToolRequest) bool {
	c := req.ClientCapabilities()
	return c != nil && c.Elicitation != nil
}

// askPerson asks the client's person to decide a proposal: a form with
// the decision and, at level 4, the danger phrase. The proposal's id
// travels as the request state; the answer comes back as a retry of the
// call (answered).
func askPerson(c *session.ProposalCard) *mcp.CallToolResult {
	props := map[string]*jsonschema.Schema{
		"decision": {Type: "string", Enum: []any{"accept", "reject"}, Description: "accept carries it out; reject drops it"},
	}
	required := []string{"decision"}
	if c.DangerPhraseRequired {
		props["phrase"] = &jsonschema.Schema{Type: "string", Description: "type the exact name of the target to confirm"}
		required = append(required, "phrase")
	}
	msg := proposalText(c)
	msg = strings.TrimSuffix(msg, fmt.Sprintf(" A person accepts or rejects it with %s.", DecideTool)) + " Do you accept it?"
	return &mcp.CallToolResult{
		InputRequests: mcp.InputRequestMap{askKey: &mcp.ElicitParams{Message: msg,
			RequestedSchema: &jsonschema.Schema{Type: "object", Properties: props, Required: required}}},
		RequestState: string(c.ID),
	}
}

// answered carries out the person's answer to askPerson: accept or
// reject through a turn (the kernel checks everything), or, when the
// form was declined or dismissed, nothing: the proposal stays pending.
func (s *Server) answered(ctx context.Context, a session.Actor, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
	id := session.ProposalID(req.Params.RequestState)
	er, ok := req.Params.InputResponses[askKey].(*mcp.ElicitResult)
	if !ok || id == "" {
		return nil, fmt.Errorf("an answer to no question of this server")
	}
	if er.Action != "accept" {
		p, err := s.core.Turns.Proposal(ctx, a, id)
		if err != nil {
			return result(session.Outbound{Parts: []session.Part{session.ErrorPart(err)}}), nil
		}
		out := session.Outbound{Parts: []session.Part{&session.Text{Text: "Not accepted: nothing was run. The proposal stays open until it expires."}}}
		c := p.Card
		out.Parts = append(out.Parts, &c)
		return result(out), nil
	}
	decision, _ := er.Content["decision"].(string)
	phrase, _ := er.Content["phrase"].(string)
	kind := session.ActionReject
	if decision == "accept" {
		kind = session.ActionAccept
	}
	out, err := s.turn(ctx, a, session.Inbound{Action: &session.Action{Kind: kind, Proposal: id, Phrase: phrase}})
	if err != nil {
		return nil, err
	}
	return result(out), nil
}

// decideHandler is steward.decide: a rejection is carried out at once;
// an acceptance is asked of the person when the client can show a form
// (the agent's own phrase is then not used), and otherwise carried out as
// given. The kernel checks the actor, expiry, cooling, phrase and hash.
func (s *Server) decideHandler(a session.Actor) mcp.ToolHandler {
	return func(ctx context.Context, req *mcp.CallToolRequest) (*mcp.CallToolResult, error) {
		if len(req.Params.InputResponses) > 0 {
			return s.answered(ctx, a, req)
		}
		var d decideArgs
		dec := json.NewDecoder(strings.NewReader(string(req.Params.Arguments)))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&d); err != nil || d.Proposal == "" || (d.Decision != "accept" && d.Decision != "reject") {
			return result(session.Outbound{Parts: []session.Part{&session.Error{Code: session.CodeInvalidArguments, Message: "Give proposal_id and decision (accept or reject)."}}}), nil
		}
		id := session.ProposalID(d.Proposal)
		if d.Decision == "accept" && canElicit(req) {
			p, err := s.core.Turns.Proposal(ctx, a, id)
			if err != nil {
				return result(session.Outbound{Parts: []session.Part{session.ErrorPart(err)}}), nil
			}
			if p.State == session.ProposalPending {
				c := p.Card
				return askPerson(&c), nil
			}
		}
		kind := session.ActionReject
		if d.Decision == "accept" {
			kind = session.ActionAccept
		}
		out, err := s.turn(ctx, a, session.Inbound{Action: &session.Action{Kind: kind, Proposal: id, Phrase: d.Phrase}})
		if err != nil {
			return nil, err
		}
		return result(out), nil
	}
}
