// Package engines opens the speech engines a voice channel's
// configuration names (voice.SpeechConfig). It links every engine of this
// build; a configured engine whose programs or models are missing is an
// error saying what to install, so start-up stops with it.
package engines

import (
	"context"
	"fmt"
	"time"

	"github.com/steward-os/steward/sdk/module"
	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/cloud"
	"github.com/steward-os/steward/voice/offline"
)

// Open builds the engines c names; h resolves the cloud key (masked from
// then on).
func Open(_ context.Context, c voice.SpeechConfig, h module.Host) (voice.Speech, error) {
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
	case voice.EngineCloud:
		return openCloud(*c.Cloud, h)
	}
	return voice.Speech{}, fmt.Errorf("speech engine %q is not in this build", c.Engine)
}

var _ voice.Opener = Open

func openCloud(c voice.CloudConfig, h module.Host) (voice.Speech, error) {
	var key string
	if c.APIKeyEnv != "" || c.APIKeyFile != "" {
		k, err := h.Secret("speech.cloud.api_key", c.APIKeyEnv, c.APIKeyFile)
		if err != nil {
			return voice.Speech{}, err
		}
		key = k
	}
	e, err := cloud.New(cloud.Options{
		BaseURL: c.BaseURL, APIKey: key, STTModel: c.STTModel, TTSModel: c.TTSModel, Voice: c.Voice,
		Timeout: time.Duration(c.TimeoutSeconds) * time.Second,
	})
	if err != nil {
		return voice.Speech{}, err
	}
	return e.Speech(), nil
}
