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

// EngineOffline is the engine that needs no network and no key.
const EngineOffline = "offline"

// SpeechConfig chooses and configures the speech engines (the block
// "speech:" of a voice channel). The offline engine needs no network and
// no key.
type SpeechConfig struct {
	Engine string `json:"engine,omitempty"` // "offline" (the default)
	// Voice is the espeak-ng voice and Rate its words a minute.
	Voice string `json:"voice,omitempty"`
	Rate  int    `json:"rate,omitempty"`
}

// Check validates the block without I/O.
func (c *SpeechConfig) Check() error {
	switch c.Engine {
	case "", EngineOffline:
	default:
		return fmt.Errorf("speech.engine %q: want offline (the only engine of this build)", c.Engine)
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
