package twilio

import (
	"encoding/base64"
	"encoding/json"
	"testing"

	"github.com/go-json-experiment/json/jsontext"

	"github.com/steward-os/steward/voice"
)

// FuzzStreamFrame: any Media Streams message as the caller's side sends
// it (the stream reads at most 64 KiB a message). decodeFrame never
// panics; a message it accepts is one JSON object with no name given
// twice, and what the adapter reads from it is the value of the exactly
// named member (event, start.accountSid, start.customParameters.token,
// media.payload, dtmf.digit), never a case variant's; a media payload
// that is base64 decodes to one sample per byte.
func FuzzStreamFrame(f *testing.F) {
	for _, s := range []string{
		`{"event":"connected","protocol":"Call","version":"1.0.0"}`,
		`{"event":"start","sequenceNumber":"1","streamSid":"MZ1","start":{"streamSid":"MZ1","accountSid":"AC1","callSid":"CA1","tracks":["inbound"],"customParameters":{"token":"tok"},"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1}}}`,
		`{"event":"start","start":{"accountSid":"AC1","AccountSid":"AC2","customParameters":{"token":"a"}}}`,
		`{"event":"media","streamSid":"MZ1","media":{"track":"inbound","chunk":"2","timestamp":"5","payload":"//////////8="}}`,
		`{"event":"media","Event":"stop","media":{"payload":"AAAA"}}`,
		`{"event":"media","event":"stop"}`,
		`{"event":"mark","mark":{"name":"p1"}}`,
		`{"event":"dtmf","dtmf":{"track":"inbound_track","digit":"1"}}`,
		`{"event":"stop","stop":{"accountSid":"AC1","callSid":"CA1"}}`,
		`{"event":"media","media":{"payload":"not base64!"}}`,
		`{"event":5}`, `[]`, `null`, ``, "\xff",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		if len(b) > 64<<10 {
			return // the stream's read limit closes it first
		}
		fr, err := decodeFrame(b)
		if err != nil {
			return
		}
		if !jsontext.Value(b).IsValid() {
			t.Fatalf("accepted a message with a name twice or invalid UTF-8: %q", b)
		}
		var g map[string]json.RawMessage
		if json.Unmarshal(b, &g) != nil {
			if fr.Event != "" || fr.Start != nil || fr.Media != nil {
				t.Fatalf("a message that is not an object read as %+v", fr)
			}
			return
		}
		if want := str(g["event"]); fr.Event != want {
			t.Fatalf("event %q read as %q from %q", want, fr.Event, b)
		}
		if fr.Start != nil {
			start := obj(g["start"])
			if fr.Start.AccountSid != str(start["accountSid"]) || fr.Start.CustomParameters["token"] != str(obj(start["customParameters"])["token"]) {
				t.Fatalf("start %+v read from %s", fr.Start, g["start"])
			}
		}
		if fr.DTMF != nil && fr.DTMF.Digit != str(obj(g["dtmf"])["digit"]) {
			t.Fatalf("digit %q read from %s", fr.DTMF.Digit, g["dtmf"])
		}
		if fr.Media != nil {
			if fr.Media.Payload != str(obj(g["media"])["payload"]) {
				t.Fatalf("payload read from %s", g["media"])
			}
			if raw, err := base64.StdEncoding.DecodeString(fr.Media.Payload); err == nil {
				if n := len(voice.DecodeMulaw(raw)); n != len(raw) {
					t.Fatalf("%d bytes of μ-law gave %d samples", len(raw), n)
				}
			}
		}
	})
}

// str is a JSON string's value, "" for anything else.
func str(raw json.RawMessage) string {
	var s string
	_ = json.Unmarshal(raw, &s)
	return s
}

// obj is a JSON object's members, nil for anything else.
func obj(raw json.RawMessage) map[string]json.RawMessage {
	var m map[string]json.RawMessage
	_ = json.Unmarshal(raw, &m)
	return m
}
