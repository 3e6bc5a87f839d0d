package cloud_test

import (
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/cloud"
	"github.com/steward-os/steward/voice/cloud/cloudtest"
)

const key = "sk-cloud-speech-key-planted-4242"

func engine(t *testing.T, f *cloudtest.Server) *cloud.Engine {
	t.Helper()
	e, err := cloud.New(cloud.Options{BaseURL: f.URL, APIKey: key, STTModel: "stt-x", TTSModel: "tts-x", Voice: "nova"})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// Recognition sends the caller's audio as a WAV file with the grammar's
// words as a hint, and returns the words heard; the engine is open.
func TestRecognize(t *testing.T) {
	f := cloudtest.New(t, key)
	e := engine(t, f)
	f.Script("Approve, web one.")
	a := voice.Audio{Rate: 8000, PCM: make([]int16, 8000)}
	g := voice.ConfirmGrammar(voice.Confirm, "web-1", nil, voice.AnyWord{})
	tr, err := e.Recognize(context.Background(), a, g)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(tr.Words, " ") != "approve web one" {
		t.Errorf("words %q (text %q)", tr.Words, tr.Text)
	}
	h := f.Heard()
	if len(h) != 1 || h[0].Model != "stt-x" || h[0].Audio.Rate != 8000 || len(h[0].Audio.PCM) != 8000 || !strings.Contains(h[0].Prompt, "approve") {
		t.Errorf("what the endpoint got: %+v", h)
	}
	if sp := e.Speech(); !sp.Open || sp.Name != "cloud" {
		t.Errorf("speech %+v", sp)
	}
}

// Synthesis asks for WAV and returns it at the line's rate.
func TestSynthesize(t *testing.T) {
	f := cloudtest.New(t, key)
	e := engine(t, f)
	for _, rate := range []int{8000, 16000} {
		a, err := e.Synthesize(context.Background(), "Restart web one?", voice.Format{Rate: rate})
		if err != nil {
			t.Fatal(err)
		}
		want := cloudtest.Tone(20 * len("Restart web one?")).Millis()
		if a.Rate != rate || a.Millis() < want-2 || a.Millis() > want+2 || voice.Level(a.PCM) < -30 {
			t.Errorf("at %d Hz: %d Hz, %d ms (want %d), %.1f dBFS", rate, a.Rate, a.Millis(), want, voice.Level(a.PCM))
		}
	}
	if s := f.Spoken(); len(s) != 2 || s[0].Model != "tts-x" || s[0].Voice != "nova" || s[0].Format != "wav" {
		t.Errorf("what the endpoint got: %+v", s)
	}
}

// A failing, refusing or unreachable endpoint is an error that names the
// operation and never carries the key.
func TestErrorsCarryNoKey(t *testing.T) {
	f := cloudtest.New(t, key)
	ctx := context.Background()
	a := voice.Audio{Rate: 8000, PCM: make([]int16, 800)}
	f.Fail(http.StatusInternalServerError)
	_, err := engine(t, f).Recognize(ctx, a, voice.Grammar{})
	if err == nil || !strings.Contains(err.Error(), "recognize") || !strings.Contains(err.Error(), "500") {
		t.Errorf("500: %v", err)
	}
	f.Fail(0)
	wrong, _ := cloud.New(cloud.Options{BaseURL: f.URL, APIKey: "sk-wrong-key"})
	if _, err := wrong.Synthesize(ctx, "hello", voice.Format{Rate: 8000}); err == nil || !strings.Contains(err.Error(), "401") {
		t.Errorf("a wrong key: %v", err)
	}
	gone, _ := cloud.New(cloud.Options{BaseURL: "http://127.0.0.1:1/v1/" + key + "/", APIKey: key})
	for _, err := range []error{
		func() error { _, err := gone.Recognize(ctx, a, voice.Grammar{}); return err }(),
		func() error { _, err := gone.Synthesize(ctx, "hello", voice.Format{Rate: 8000}); return err }(),
	} {
		if err == nil || strings.Contains(err.Error(), key) {
			t.Errorf("an unreachable endpoint: %v", err)
		}
	}
	if _, err := cloud.New(cloud.Options{BaseURL: "ftp://x"}); err == nil {
		t.Error("a base URL that is not http(s) was taken")
	}
}

// No OPENAI_* variable of the environment reaches the endpoint: neither a
// key nor a base URL.
func TestEnvironmentIgnored(t *testing.T) {
	f := cloudtest.New(t, key)
	t.Setenv("OPENAI_API_KEY", "sk-from-the-environment")
	t.Setenv("OPENAI_BASE_URL", "http://127.0.0.1:1/v1/")
	f.Script("yes")
	if _, err := engine(t, f).Recognize(context.Background(), voice.Audio{Rate: 8000, PCM: make([]int16, 800)}, voice.Grammar{}); err != nil {
		t.Fatalf("with OPENAI_* set: %v", err)
	}
}
