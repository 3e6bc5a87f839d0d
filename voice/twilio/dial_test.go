package twilio_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/twilio/twiliotest"
)

// TestOutboundCall: a notice with an attached fix rings the actor's
// linked number through the REST API; the answered call is the same
// dialogue: the notice is read, then the fix, and keypad 1 confirms it,
// once (VOI-01, VOI-04).
func TestOutboundCall(t *testing.T) {
	rest := twiliotest.NewREST(t, sid, token)
	r := newRig(t, rest.URL)
	ctx := context.Background()
	out := r.env.Say(t, kerneltest.Bob, `hosting.restart_server {"server":"web-1"}`)
	var id session.ProposalID
	for _, p := range out.Parts {
		if c, ok := p.(*session.ProposalCard); ok {
			id = c.ID
		}
	}
	if id == "" {
		t.Fatalf("no proposal: %s", kerneltest.Dump(out))
	}
	callSID, err := r.ad.Dial(ctx, kerneltest.Bob, voice.Notice{Text: "web-1 stopped answering.", Proposal: id})
	if err != nil {
		t.Fatal(err)
	}
	placed := rest.Placed()
	if len(placed) != 1 || placed[0].To != bobPhone || placed[0].From != "+15550100" || placed[0].SID != callSID {
		t.Fatalf("placed: %+v (sid %s)", placed, callSID)
	}
	u, tok := twiliotest.Stream(t, placed[0].Twiml)
	c, err := twiliotest.Connect(t, u, sid, callSID, tok, speed)
	if err != nil {
		t.Fatal(err)
	}
	r.expect(t, "web one stopped answering.")
	r.expect(t, "Restart web one")
	played(t, c)
	c.Press("1")
	r.expect(t, "web one restarted")
	if n := r.count(t, "confirmed", "bob"); n != 1 {
		t.Fatalf("confirmations: %d", n)
	}
}

// A call that cannot be placed is an error naming why, without the auth
// token; an actor with no linked number is not called.
func TestOutboundCallRefusals(t *testing.T) {
	rest := twiliotest.NewREST(t, sid, token)
	r := newRig(t, rest.URL)
	ctx := context.Background()
	rest.Fail(http.StatusInternalServerError)
	if _, err := r.ad.Dial(ctx, kerneltest.Bob, voice.Notice{Text: "test"}); err == nil || strings.Contains(err.Error(), token) {
		t.Errorf("REST failing: %v", err)
	}
	rest.Fail(0)
	if _, err := r.ad.Dial(ctx, kerneltest.Carol, voice.Notice{Text: "test"}); err == nil || !strings.Contains(err.Error(), "no phone number") {
		t.Errorf("carol has no number: %v", err)
	}
	if n := len(rest.Placed()); n != 0 {
		t.Errorf("calls placed: %d", n)
	}
}
