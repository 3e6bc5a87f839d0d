package api_test

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/channels/api"
	"github.com/steward-os/steward/channels/channeltest"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

// apiDriver drives the HTTP API: decisions are explicit calls.
type apiDriver struct {
	srv   *httptest.Server
	token string
	after int64
}

func (d *apiDriver) Capabilities() channels.Capabilities { return channels.Capabilities{MaxText: 4000} }

func (d *apiDriver) do(t testing.TB, method, path string, body any) map[string]json.RawMessage {
	t.Helper()
	var rd *bytes.Reader
	if body != nil {
		b, _ := json.Marshal(body)
		rd = bytes.NewReader(b)
	} else {
		rd = bytes.NewReader(nil)
	}
	req, _ := http.NewRequest(method, d.srv.URL+path, rd)
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var m map[string]json.RawMessage
	if err := json.NewDecoder(resp.Body).Decode(&m); err != nil {
		t.Fatal(err)
	}
	return m
}

func replies(m map[string]json.RawMessage) channeltest.Observation {
	var rs []json.RawMessage
	_ = json.Unmarshal(m["replies"], &rs)
	return channeltest.FromReplies(rs)
}

func (d *apiDriver) Say(t testing.TB, id, text string) channeltest.Observation {
	return replies(d.do(t, "POST", "/v1/messages", map[string]string{"text": text, "id": id}))
}

func (d *apiDriver) Decide(t testing.TB, id string, c channeltest.Card, accept bool, phrase string) channeltest.Observation {
	dec := "reject"
	if accept {
		dec = "accept"
	}
	return replies(d.do(t, "POST", "/v1/proposals/"+c.ID, map[string]string{"decision": dec, "phrase": phrase, "id": id}))
}

func (d *apiDriver) Deliveries(t testing.TB, wait time.Duration) channeltest.Observation {
	m := d.do(t, "GET", fmt.Sprintf("/v1/sessions/me/events?after=%d&wait=%s", d.after, wait), nil)
	var evs []struct {
		ID       int64           `json:"id"`
		Outbound json.RawMessage `json:"outbound"`
	}
	_ = json.Unmarshal(m["events"], &evs)
	var o channeltest.Observation
	for _, e := range evs {
		d.after = e.ID
		var out map[string]json.RawMessage
		_ = json.Unmarshal(e.Outbound, &out)
		got := replies(out)
		o.Texts = append(o.Texts, got.Texts...)
		o.Errors = append(o.Errors, got.Errors...)
		o.Progress = append(o.Progress, got.Progress...)
		o.Cards = append(o.Cards, got.Cards...) // approval requests arrive as events
	}
	return o
}

// CHAN-03 CHAN-04: the API channel passes the shared adapter suite.
func TestChannelSuite(t *testing.T) {
	channeltest.Run(t, func(t *testing.T, e *kerneltest.Env, a session.Actor) channeltest.Driver {
		h := api.New(channels.CoreOf(e.K), e.Dir, api.Options{})
		h.SetReady(true)
		srv := httptest.NewServer(h)
		t.Cleanup(srv.Close)
		return &apiDriver{srv: srv, token: "demo-" + string(a.ID)}
	})
}
