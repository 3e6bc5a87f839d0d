// Package twiliotest is a fake Twilio for tests: it signs call webhooks
// as Twilio does (X-Twilio-Signature), reads the TwiML answer, opens the
// media stream with the token it carries and speaks the Media Streams
// protocol both ways — connected, start, media (20 ms μ-law frames),
// dtmf, stop in; media, mark, clear out — playing the server's audio out
// at a speed factor and echoing each mark once the audio before it has
// played, as Twilio does. It also fakes the REST API's Calls.Create.
// Production code never imports it.
package twiliotest

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/gorilla/websocket"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/twilio"
)

// Sign is X-Twilio-Signature: base64 HMAC-SHA1 of the URL followed by
// each POST parameter's name and value, sorted by name.
func Sign(token, u string, params url.Values) string {
	keys := make([]string, 0, len(params))
	for k := range params {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	b.WriteString(u)
	for _, k := range keys {
		b.WriteString(k + params.Get(k))
	}
	m := hmac.New(sha1.New, []byte(token))
	m.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(m.Sum(nil))
}

// Webhook posts a call webhook to post (the server's real address),
// signed over signURL (the public URL the server knows) with token ("" to
// send no signature). It returns the status and body.
func Webhook(t testing.TB, post, signURL, token string, params url.Values) (int, string) {
	t.Helper()
	req, _ := http.NewRequest(http.MethodPost, post, strings.NewReader(params.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if token != "" {
		req.Header.Set("X-Twilio-Signature", Sign(token, signURL, params))
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("webhook: %v", err)
	}
	defer res.Body.Close()
	b, _ := io.ReadAll(res.Body)
	return res.StatusCode, string(b)
}

// CallParams are the form of an inbound call's webhook.
func CallParams(accountSID, callSID, from, to string) url.Values {
	return url.Values{"AccountSid": {accountSID}, "CallSid": {callSID}, "From": {from}, "To": {to},
		"CallStatus": {"ringing"}, "Direction": {"inbound"}, "ApiVersion": {"2010-04-01"}}
}

// Stream reads the stream URL and token out of a TwiML answer.
func Stream(t testing.TB, doc string) (string, string) {
	t.Helper()
	var r struct {
		Connect struct {
			Stream struct {
				URL    string `xml:"url,attr"`
				Params []struct {
					Name  string `xml:"name,attr"`
					Value string `xml:"value,attr"`
				} `xml:"Parameter"`
			} `xml:"Stream"`
		} `xml:"Connect"`
	}
	if err := xml.Unmarshal([]byte(doc), &r); err != nil || r.Connect.Stream.URL == "" {
		t.Fatalf("TwiML without a stream: %v %s", err, doc)
	}
	tok := ""
	for _, p := range r.Connect.Stream.Params {
		if p.Name == "token" {
			tok = p.Value
		}
	}
	return r.Connect.Stream.URL, tok
}

// Call is one fake call's media stream.
type Call struct {
	t      testing.TB
	ws     *websocket.Conn
	sid    string
	speed  float64
	wmu    sync.Mutex
	mu     sync.Mutex
	until  time.Time // when the queued audio will have played
	marks  []string  // marks echoed, in order
	clears int
	closed chan struct{}
	played int // ms of server audio received
}

// Connect opens the stream at wsURL and sends connected and start with
// the token; speed is how much faster than real time the server's audio
// plays out.
func Connect(t testing.TB, wsURL, accountSID, callSID, token string, speed float64) (*Call, error) {
	t.Helper()
	ws, _, err := websocket.DefaultDialer.Dial(wsURL, nil)
	if err != nil {
		return nil, err
	}
	c := &Call{t: t, ws: ws, sid: "MZ" + callSID[2:], speed: speed, closed: make(chan struct{})}
	t.Cleanup(func() { ws.Close() })
	c.send(twilio.Frame{Event: "connected", Protocol: "Call", Version: "1.0.0"})
	st := &twilio.StartMsg{StreamSid: c.sid, AccountSid: accountSID, CallSid: callSID, Tracks: []string{"inbound"},
		CustomParameters: map[string]string{"token": token}}
	st.MediaFormat.Encoding, st.MediaFormat.SampleRate, st.MediaFormat.Channels = "audio/x-mulaw", 8000, 1
	c.send(twilio.Frame{Event: "start", StreamSid: c.sid, Start: st})
	go c.read()
	return c, nil
}

func (c *Call) send(f twilio.Frame) {
	c.wmu.Lock()
	defer c.wmu.Unlock()
	_ = c.ws.WriteJSON(f)
}

// read plays the server's frames out.
func (c *Call) read() {
	defer close(c.closed)
	for {
		_, b, err := c.ws.ReadMessage()
		if err != nil {
			return
		}
		var f twilio.Frame
		if json.Unmarshal(b, &f) != nil {
			c.t.Errorf("server sent a frame that is not JSON: %q", b)
			return
		}
		c.mu.Lock()
		switch f.Event {
		case "media":
			raw, _ := base64.StdEncoding.DecodeString(f.Media.Payload)
			d := time.Duration(float64(len(raw))/8/c.speed*1000) * time.Microsecond
			c.until = later(time.Now(), c.until).Add(d)
			c.played += len(raw) / 8
		case "mark":
			name, at := f.Mark.Name, c.until
			time.AfterFunc(time.Until(at), func() { c.echo(name) })
		case "clear":
			c.clears++
			c.until = time.Now()
		}
		c.mu.Unlock()
	}
}

// echo sends a mark back once the audio before it played (a clear moves
// the end of the queue to now, so cleared marks come back at once).
func (c *Call) echo(name string) {
	c.mu.Lock()
	c.marks = append(c.marks, name)
	c.mu.Unlock()
	c.send(twilio.Frame{Event: "mark", StreamSid: c.sid, Mark: &twilio.Mark{Name: name}})
}

func later(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// Playing reports whether server audio is still queued.
func (c *Call) Playing() bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	return time.Now().Before(c.until)
}

// Clears is how many clear messages the server sent.
func (c *Call) Clears() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.clears
}

// Say sends the caller's audio (8 kHz) as 20 ms μ-law media frames.
func (c *Call) Say(a voice.Audio) {
	mu := voice.EncodeMulaw(a.PCM)
	for i, n := 0, 0; i < len(mu); i, n = i+160, n+1 {
		c.send(twilio.Frame{Event: "media", StreamSid: c.sid, Media: &twilio.Media{Track: "inbound", Chunk: fmt.Sprint(n + 1),
			Timestamp: fmt.Sprint(n * 20), Payload: base64.StdEncoding.EncodeToString(mu[i:min(i+160, len(mu))])}})
	}
}

// Press sends a keypad digit.
func (c *Call) Press(d string) {
	c.send(twilio.Frame{Event: "dtmf", StreamSid: c.sid, DTMF: &twilio.DTMF{Track: "inbound_track", Digit: d}})
}

// Hangup sends stop.
func (c *Call) Hangup() { c.send(twilio.Frame{Event: "stop", StreamSid: c.sid}) }

// Closed is closed when the server ends the stream.
func (c *Call) Closed() <-chan struct{} { return c.closed }
