// Package voicetest is test support for the voice packages: the offline
// engine or a test failure saying what to install (never a skip), and
// speech synthesized the way a phone line delivers it — espeak-ng in
// several voices and rates, 8 kHz μ-law, a faint noise floor. Production
// code never imports it.
package voicetest

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"sync"
	"testing"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/offline"
)

// Voices and rates the callers of the tests speak with.
var (
	Voices = []string{"en-us", "en-gb", "en-us+f3", "en-gb-scotland"}
	Rates  = []int{140, 175, 210}
)

// Offline returns the offline engine, or fails the test with what to
// install: a missing speech package fails the voice tests, in CI and out
// of it, and never skips them.
func Offline(t testing.TB) *offline.Engine {
	t.Helper()
	return OfflineWith(t, offline.Options{})
}

// OfflineWith is Offline with options (a voice, a rate).
func OfflineWith(t testing.TB, o offline.Options) *offline.Engine {
	t.Helper()
	e, err := offline.New(o)
	if err != nil {
		where := "run `make deps`"
		if os.Getenv("CI") == "true" {
			where += " (in CI the voice tests never skip)"
		}
		t.Fatalf("%v; %s", err, where)
	}
	return e
}

var (
	synthMu sync.Mutex
	synths  = map[string]*offline.Engine{}
)

// Caller synthesizes what a caller says, in a voice at a rate, as a phone
// line delivers it: 8 kHz, through μ-law, with lead and trail of quiet
// line noise at about −50 dBFS (never digital silence). It returns the
// audio and where the speech ends, in samples.
func Caller(t testing.TB, text, voiceName string, rate int, seed uint64) (voice.Audio, int) {
	t.Helper()
	synthMu.Lock()
	key := fmt.Sprint(voiceName, "/", rate)
	e := synths[key]
	if e == nil {
		e = OfflineWith(t, offline.Options{Voice: voiceName, Rate: rate})
		synths[key] = e
	}
	synthMu.Unlock()
	a, err := e.Synthesize(context.Background(), text, voice.Format{Rate: 8000})
	if err != nil {
		t.Fatalf("synthesize %q: %v", text, err)
	}
	return PhoneLine(a, seed)
}

// PhoneLine puts speech on a phone line: 300 ms of line noise before it,
// 1.2 s after, noise under all of it, then μ-law and back. It returns the
// audio and the sample where the speech itself ends.
func PhoneLine(speech voice.Audio, seed uint64) (voice.Audio, int) {
	lead, trail := speech.Rate*3/10, speech.Rate*12/10
	last := len(speech.PCM)
	for last > 0 && abs(speech.PCM[last-1]) < 64 {
		last--
	}
	pcm := make([]int16, lead+len(speech.PCM)+trail)
	copy(pcm[lead:], speech.PCM)
	Noise(pcm, -50, seed)
	return voice.Audio{Rate: speech.Rate, PCM: voice.DecodeMulaw(voice.EncodeMulaw(pcm))}, lead + last
}

// Noise adds white noise at a level in dBFS.
func Noise(pcm []int16, dbfs float64, seed uint64) {
	r := rand.New(rand.NewPCG(seed, 0x5eed))
	amp := 32768 * math.Pow(10, dbfs/20)
	for i, s := range pcm {
		v := float64(s) + r.NormFloat64()*amp
		pcm[i] = int16(max(math.MinInt16, min(math.MaxInt16, v)))
	}
}

// Quiet is line noise alone, ms long.
func Quiet(rate, ms int, seed uint64) voice.Audio {
	pcm := make([]int16, rate*ms/1000)
	Noise(pcm, -50, seed)
	return voice.Audio{Rate: rate, PCM: voice.DecodeMulaw(voice.EncodeMulaw(pcm))}
}

func abs(s int16) int {
	if s < 0 {
		return -int(s)
	}
	return int(s)
}
