package twilio

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"time"

	twilio "github.com/twilio/twilio-go"
	twclient "github.com/twilio/twilio-go/client"
	api "github.com/twilio/twilio-go/rest/api/v2010"

	"github.com/steward-os/steward/session"
	"github.com/steward-os/steward/voice"
)

// Dial calls the actor's phone number linked on this channel and plays
// the notice (voice.Dialer): an alert to acknowledge, a fix to confirm.
// The call is placed through the REST API (Calls.Create) with TwiML that
// connects the stream with a one-time token, so the answered call is the
// same dialogue as an inbound one. It returns the call's sid.
func (a *Adapter) Dial(ctx context.Context, actor session.Actor, n voice.Notice) (string, error) {
	if a.o.Number == "" {
		return "", errors.New("outbound calls need the number's own caller id (number:)")
	}
	to, err := a.numberOf(ctx, actor)
	if err != nil {
		return "", err
	}
	tok := newToken()
	doc, err := a.twimlConnect(tok)
	if err != nil {
		return "", fmt.Errorf("twiml: %w", err)
	}
	a.toks.put(tok, pending{actor: actor, from: session.Address{Channel: a.o.Channel, Account: to}, notice: &n})
	params := &api.CreateCallParams{}
	params.SetTo(to).SetFrom(a.o.Number).SetTwiml(doc)
	type res struct {
		sid string
		err error
	}
	done := make(chan res, 1)
	go func() { // the client takes no context: bound it here
		c, err := a.rest().Api.CreateCall(params)
		if err != nil {
			done <- res{err: err}
			return
		}
		sid := ""
		if c.Sid != nil {
			sid = *c.Sid
		}
		done <- res{sid: sid}
	}()
	select {
	case r := <-done:
		if r.err != nil {
			a.toks.take(tok)
			return "", fmt.Errorf("place call: %w", r.err)
		}
		a.o.Log.Info("outbound call placed", "to_actor", actor.ID, "call", r.sid)
		return r.sid, nil
	case <-ctx.Done():
		return "", ctx.Err()
	}
}

// numberOf is the actor's phone number linked on this channel.
func (a *Adapter) numberOf(ctx context.Context, actor session.Actor) (string, error) {
	links, err := a.core.Identity.Links(ctx, actor)
	if err != nil {
		return "", fmt.Errorf("links: %w", err)
	}
	for _, l := range links {
		if l.Channel == a.o.Channel && l.Tenant == actor.Tenant {
			return l.Account, nil
		}
	}
	return "", fmt.Errorf("%s has no phone number linked on %s", actor.ID, a.o.Channel)
}

// rest is the REST client; with api_url, requests go there instead.
func (a *Adapter) rest() *twilio.RestClient {
	hc := &http.Client{Timeout: 15 * time.Second}
	if a.o.APIURL != "" {
		if u, err := url.Parse(a.o.APIURL); err == nil {
			hc.Transport = rewrite{to: u}
		}
	}
	c := &twclient.Client{Credentials: twclient.NewCredentials(a.o.AccountSID, a.o.AuthToken), HTTPClient: hc}
	c.SetAccountSid(a.o.AccountSID)
	return twilio.NewRestClientWithParams(twilio.ClientParams{Client: c})
}

// rewrite sends every request to another scheme and host, its path kept.
type rewrite struct{ to *url.URL }

func (r rewrite) RoundTrip(req *http.Request) (*http.Response, error) {
	req = req.Clone(req.Context())
	req.URL.Scheme, req.URL.Host, req.Host = r.to.Scheme, r.to.Host, r.to.Host
	return http.DefaultTransport.RoundTrip(req)
}

// callBack calls the actor back when the proposal's cooling period has
// passed (a caller pressed 9 rather than wait on the line).
func (a *Adapter) callBack(ctx context.Context, actor session.Actor, id session.ProposalID) error {
	p, err := a.core.Turns.Proposal(ctx, actor, id)
	if err != nil {
		return err
	}
	wait := time.Duration(0)
	if u := p.Card.CoolingUntil; u != nil {
		wait = u.Sub(a.o.Now())
	}
	a.calls.Add(1)
	go func() {
		defer a.calls.Done()
		t := time.NewTimer(max(wait, 0) + time.Second)
		defer t.Stop()
		select {
		case <-t.C:
		case <-a.closing:
			return
		}
		n := voice.Notice{Text: "You asked me to call you back.", Proposal: id}
		if _, err := a.Dial(context.Background(), actor, n); err != nil {
			a.o.Log.Error("call back", "actor", actor.ID, "proposal", id, "err", err)
		}
	}()
	return nil
}
