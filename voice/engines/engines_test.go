package engines_test

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"strings"
	"testing"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/cloud/cloudtest"
	"github.com/steward-os/steward/voice/engines"
)

// host resolves secrets from the environment and remembers what it
// resolved (the real host masks those).
type host struct{ resolved []string }

func (*host) Logger() *slog.Logger { return slog.New(slog.DiscardHandler) }
func (h *host) Secret(what, env, _ string) (string, error) {
	v := os.Getenv(env)
	if v == "" {
		return "", fmt.Errorf("%s: %s is not set", what, env)
	}
	h.resolved = append(h.resolved, v)
	return v, nil
}

// The configuration chooses the engine: the cloud engine gets its key
// through the host, works against an OpenAI-compatible endpoint and is
// open; a block that is incomplete or names no engine of this build is
// refused with what to fix.
func TestOpenCloud(t *testing.T) {
	const key = "sk-engines-test-key"
	f := cloudtest.New(t, key)
	t.Setenv("SPEECH_KEY", key)
	h := &host{}
	c := voice.SpeechConfig{Engine: voice.EngineCloud, Cloud: &voice.CloudConfig{BaseURL: f.URL, APIKeyEnv: "SPEECH_KEY"}}
	sp, err := engines.Open(context.Background(), c, h)
	if err != nil {
		t.Fatal(err)
	}
	if !sp.Open || len(h.resolved) != 1 {
		t.Fatalf("open %v, secrets resolved %d", sp.Open, len(h.resolved))
	}
	if _, err := sp.TTS.Synthesize(context.Background(), "hello", voice.Format{Rate: 8000}); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []struct {
		c    voice.SpeechConfig
		want string
	}{
		{voice.SpeechConfig{Engine: voice.EngineCloud}, "base_url: required"},
		{voice.SpeechConfig{Engine: "neural"}, "want offline or cloud"},
		{voice.SpeechConfig{Cloud: &voice.CloudConfig{BaseURL: f.URL}}, "engine: cloud"},
		{voice.SpeechConfig{Engine: voice.EngineCloud, Cloud: &voice.CloudConfig{BaseURL: f.URL, APIKeyEnv: "UNSET_SPEECH_KEY"}}, "not set"},
	} {
		if _, err := engines.Open(context.Background(), bad.c, h); err == nil || !strings.Contains(err.Error(), bad.want) {
			t.Errorf("%+v: %v, want %q", bad.c, err, bad.want)
		}
	}
}
