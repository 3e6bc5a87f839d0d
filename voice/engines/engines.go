// Package engines opens the speech engines a voice channel's
// configuration names (voice.SpeechConfig). It links every engine of this
// build; a configured engine whose programs or models are missing is an
// error saying what to install, so start-up stops with it.
package engines

import (
	"context"
	"fmt"

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/offline"
)

// Open builds the engines c names.
func Open(_ context.Context, c voice.SpeechConfig, _ module.Host) (voice.Speech, error) {
	if err := c.Check(); err != nil {
		return voice.Speech{}, err
	}
	switch c.Engine {
	case "", voice.EngineOffline:
		e, err := offline.New(offline.Options{Voice: c.Voice, Rate: c.Rate})
		if err != nil {
			return voice.Speech{}, err
		}
		return e.Speech(), nil
	}
	return voice.Speech{}, fmt.Errorf("speech engine %q is not in this build", c.Engine)
}

var _ voice.Opener = Open
