// Package cloud is the speech engine that speaks to an OpenAI-compatible
// endpoint through openai-go: recognition with the audio transcriptions
// API, synthesis with the audio speech API.
//
// Contract. Recognition is open (Speech.Open): callers may make requests
// in their own words; the prompt's grammar words are passed as a hint,
// never as a constraint, and every confirmation is still judged by the
// voice package's own rules. Synthesis asks for WAV and converts it to the
// rate the line wants. The key is resolved by the caller (masked from
// then on) and no OPENAI_* variable of the environment reaches the
// endpoint: the services are built on their own, not through a client
// that reads the environment. An error never carries the key.
package cloud

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/openai/openai-go/v3"
	"github.com/openai/openai-go/v3/option"

	"github.com/steward-os/steward/voice"
)

// Options configure the engine.
type Options struct {
	BaseURL  string // the endpoint's base, e.g. "https://host/v1/"
	APIKey   string // sent as a bearer token; empty for a local server
	STTModel string // default "whisper-1"
	TTSModel string // default "tts-1"
	Voice    string // default "alloy"
	Timeout  time.Duration
	// HTTPClient replaces the default client (tests, proxies).
	HTTPClient *http.Client
}

// Engine is the cloud recognizer and synthesizer.
type Engine struct {
	o      Options
	stt    openai.AudioTranscriptionService
	speech openai.AudioSpeechService
}

// maxAudio bounds a synthesized reply read from the endpoint (a minute of
// 24 kHz 16-bit audio is 2.9 MB).
const maxAudio = 16 << 20

// New checks the options and builds the engine; it does no I/O.
func New(o Options) (*Engine, error) {
	if u, err := url.Parse(o.BaseURL); err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("speech.cloud.base_url %q: want http(s)://host/…", o.BaseURL)
	}
	o.STTModel = or(o.STTModel, "whisper-1")
	o.TTSModel = or(o.TTSModel, "tts-1")
	o.Voice = or(o.Voice, "alloy")
	if o.Timeout <= 0 {
		o.Timeout = 15 * time.Second
	}
	if o.HTTPClient == nil {
		o.HTTPClient = &http.Client{}
	}
	opts := []option.RequestOption{
		option.WithBaseURL(o.BaseURL), option.WithHTTPClient(o.HTTPClient),
		option.WithMaxRetries(1), option.WithRequestTimeout(o.Timeout),
	}
	if o.APIKey != "" {
		opts = append(opts, option.WithAPIKey(o.APIKey))
	}
	return &Engine{o: o, stt: openai.NewAudioTranscriptionService(opts...), speech: openai.NewAudioSpeechService(opts...)}, nil
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Speech is the engine as the voice package uses it.
func (e *Engine) Speech() voice.Speech {
	return voice.Speech{Name: "cloud", STT: e, TTS: e, Open: true, Lexicon: voice.AnyWord{}}
}

// Recognize sends the audio as a WAV file and returns the words heard.
// The grammar's words go along as a prompt: a hint for names and ids the
// caller is likely to say.
func (e *Engine) Recognize(ctx context.Context, a voice.Audio, g voice.Grammar) (voice.Transcript, error) {
	p := openai.AudioTranscriptionNewParams{
		File:  openai.File(bytes.NewReader(voice.WAV(a)), "speech.wav", "audio/wav"),
		Model: openai.AudioModel(e.o.STTModel),
	}
	if words := g.Words(); len(words) > 0 {
		p.Prompt = openai.String(strings.Join(words, " "))
	}
	res, err := e.stt.New(ctx, p)
	if err != nil {
		return voice.Transcript{}, e.fail("recognize", err)
	}
	return voice.Transcript{Text: res.Text, Words: voice.WordsOf(res.Text)}, nil
}

// Synthesize asks for WAV and converts it to f's rate.
func (e *Engine) Synthesize(ctx context.Context, text string, f voice.Format) (voice.Audio, error) {
	res, err := e.speech.New(ctx, openai.AudioSpeechNewParams{
		Input:          text,
		Model:          openai.SpeechModel(e.o.TTSModel),
		Voice:          openai.AudioSpeechNewParamsVoiceUnion{OfString: openai.String(e.o.Voice)},
		ResponseFormat: openai.AudioSpeechNewParamsResponseFormatWAV,
	})
	if err != nil {
		return voice.Audio{}, e.fail("synthesize", err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(io.LimitReader(res.Body, maxAudio+1))
	if err != nil {
		return voice.Audio{}, e.fail("synthesize", err)
	}
	if len(b) > maxAudio {
		return voice.Audio{}, fmt.Errorf("speech: synthesize: the reply is larger than %d bytes", maxAudio)
	}
	a, err := voice.ParseWAV(b)
	if err != nil {
		return voice.Audio{}, fmt.Errorf("speech: synthesize: %w", err)
	}
	return voice.Resample(a, f.Rate), nil
}

// fail words an endpoint's error without its key (a library error may
// echo the request; the key is also in the process's masker).
func (e *Engine) fail(what string, err error) error {
	var apiErr *openai.Error
	if errors.As(err, &apiErr) {
		return fmt.Errorf("speech: %s: the endpoint answered %d", what, apiErr.StatusCode)
	}
	msg := err.Error()
	if e.o.APIKey != "" {
		msg = strings.ReplaceAll(msg, e.o.APIKey, "[secret]")
	}
	return fmt.Errorf("speech: %s: %s", what, msg)
}
