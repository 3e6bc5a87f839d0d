package twilio_test

import (
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/cloud"
	"github.com/steward-os/steward/voice/cloud/cloudtest"
)

// utterance is a stretch of speech-like sound on a phone line: quiet line
// noise, a tone as loud as speech, then quiet long enough to end the turn.
// The fake endpoint decides what it "heard"; this only has to be speech
// to the endpointer.
func utterance(seed uint64) voice.Audio {
	rnd := rand.New(rand.NewPCG(seed, 1))
	quiet := func(ms int) []int16 {
		out := make([]int16, 8*ms)
		for i := range out {
			out[i] = int16(rnd.IntN(61) - 30)
		}
		return out
	}
	pcm := append(quiet(300), voice.Resample(cloudtest.Tone(700), 8000).PCM...)
	return voice.Audio{Rate: 8000, PCM: append(pcm, quiet(900)...)}
}

// TestCloudEngineOpenRequest: with the cloud engine a caller asks in
// their own words; the read-back, the confirmation rules and the kernel's
// gate are the same as offline (CHAN-06, VOI-01, VOI-02).
func TestCloudEngineOpenRequest(t *testing.T) {
	const key = "sk-speech-planted-key-7777"
	f := cloudtest.New(t, key)
	e, err := cloud.New(cloud.Options{BaseURL: f.URL, APIKey: key})
	if err != nil {
		t.Fatal(err)
	}
	r := newRigWith(t, "", e.Speech())
	c := r.dial(t, bobPhone, "CA0000000000000000000000000000021")
	r.expect(t, "What would you like to do?")
	played(t, c)
	f.Script(`hosting.restart_server {"server":"web-1"}`) // what the scripted router takes
	c.Say(utterance(1))
	r.expect(t, "Restart web one. That is web one, spelled: whiskey echo bravo, dash, one.")
	played(t, c)
	f.Script("Yeah.") // a backchannel is no confirmation, whoever heard it
	c.Say(utterance(2))
	r.expect(t, "I need a clear answer.")
	played(t, c)
	f.Script("Approve.")
	c.Say(utterance(3))
	r.expect(t, "web one restarted")
	if n := r.count(t, "confirmed", "bob"); n != 1 {
		t.Fatalf("confirmations: %d", n)
	}
	h := f.Heard()
	if len(h) != 3 || !strings.Contains(h[2].Prompt, "approve") || h[0].Audio.Rate != 8000 {
		t.Errorf("recognitions: %d, last hint %q", len(h), h[len(h)-1].Prompt)
	}
	if len(f.Spoken()) == 0 {
		t.Error("nothing was synthesized by the endpoint")
	}
}
