package voice

import (
	"context"
	"errors"
	"fmt"

	"github.com/steward-os/steward/sdk/module"
)

// STT turns speech into words. A constrained recognizer hears only what
// the grammar allows; an open one may use it as a hint or ignore it.
type STT interface {
	Recognize(ctx context.Context, a Audio, g Grammar) (Transcript, error)
}

// TTS turns text into speech in the format asked for.
type TTS interface {
	Synthesize(ctx context.Context, text string, f Format) (Audio, error)
}

// Transcript is what a recognizer heard.
type Transcript struct {
	Text  string
	Words []string
}

// Speech is a pair of engines chosen in the configuration.
type Speech struct {
	Name string // "offline", "cloud"
	STT  STT
	TTS  TTS
	// Open says the recognizer takes requests in the caller's own words;
	// a constrained one (offline) takes confirmations, acknowledgements
	// and the keypad only, and the call says so.
	Open bool
	// Lexicon is the recognizer's vocabulary (AnyWord for an open one).
	Lexicon Lexicon
}

// The engines: offline needs no network and no key; cloud speaks to an
// OpenAI-compatible endpoint.
const (
	EngineOffline = "offline"
	EngineCloud   = "cloud"
)

// SpeechConfig chooses and configures the speech engines (the block
// "speech:" of a voice channel). The offline engine needs no network and
// no key.
type SpeechConfig struct {
	Engine string `json:"engine,omitempty"` // "offline" (the default) or "cloud"
	// Voice is the espeak-ng voice and Rate its words a minute (offline).
	Voice string `json:"voice,omitempty"`
	Rate  int    `json:"rate,omitempty"`
	// Cloud configures the cloud engine (engine: cloud).
	Cloud *CloudConfig `json:"cloud,omitempty"`
}

// CloudConfig is the OpenAI-compatible endpoint of the cloud engine.
type CloudConfig struct {
	BaseURL    string `json:"base_url"`
	APIKeyEnv  string `json:"api_key_env,omitempty"`
	APIKeyFile string `json:"api_key_file,omitempty"`
	STTModel   string `json:"stt_model,omitempty"` // default whisper-1
	TTSModel   string `json:"tts_model,omitempty"` // default tts-1
	Voice      string `json:"voice,omitempty"`     // default alloy
	// TimeoutSeconds bounds each request (default 15).
	TimeoutSeconds int `json:"timeout_seconds,omitempty"`
}

// Check validates the block without I/O.
func (c *SpeechConfig) Check() error {
	switch c.Engine {
	case "", EngineOffline:
		if c.Cloud != nil {
			return errors.New("speech.cloud: set engine: cloud to use it")
		}
	case EngineCloud:
		if c.Cloud == nil || c.Cloud.BaseURL == "" {
			return errors.New("speech.cloud.base_url: required with engine: cloud")
		}
		if c.Cloud.TimeoutSeconds < 0 || c.Cloud.TimeoutSeconds > 120 {
			return errors.New("speech.cloud.timeout_seconds: between 1 and 120")
		}
	default:
		return fmt.Errorf("speech.engine %q: want offline or cloud", c.Engine)
	}
	if c.Rate != 0 && (c.Rate < 80 || c.Rate > 400) {
		return errors.New("speech.rate: words a minute between 80 and 400")
	}
	return nil
}

// Opener builds the engines a SpeechConfig names (voice/engines provides
// one); h resolves the cloud key, masked from then on. A configured
// engine whose programs or models are missing is an error that says what
// to install.
type Opener func(ctx context.Context, c SpeechConfig, h module.Host) (Speech, error)
