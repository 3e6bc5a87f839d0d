// Package cloudtest is a fake OpenAI-compatible speech endpoint for tests:
// it speaks the real wire format of the audio transcriptions API
// (multipart form with a WAV file) and the audio speech API (JSON in, WAV
// out at 24 kHz), checks the bearer key, and answers transcriptions from a
// script. Production code never imports it.
package cloudtest

import (
	"encoding/json"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"github.com/steward-os/steward/voice"
)

// Rate is the sample rate of the speech the fake returns, as the
// reference service does.
const Rate = 24000

// Transcription is what the fake saw of one recognition request.
type Transcription struct {
	Model, Prompt string
	Audio         voice.Audio
}

// Speech is what the fake saw of one synthesis request.
type Speech struct {
	Model, Voice, Input, Format string
}

// Server is the fake endpoint.
type Server struct {
	URL string // the base URL, ending in /v1/
	Key string

	mu      sync.Mutex
	script  []string
	heard   []Transcription
	spoken  []Speech
	failing int // status to answer every request with, 0 for none
}

// New starts a fake that requires the key; it is closed with the test.
func New(t testing.TB, key string) *Server {
	s := &Server{Key: key}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /v1/audio/transcriptions", s.transcribe)
	mux.HandleFunc("POST /v1/audio/speech", s.speak)
	srv := httptest.NewServer(s.guard(mux))
	t.Cleanup(srv.Close)
	s.URL = srv.URL + "/v1/"
	return s
}

// Script queues what the next recognitions hear, in order; with the
// queue empty the fake hears silence ("").
func (s *Server) Script(texts ...string) {
	s.mu.Lock()
	s.script = append(s.script, texts...)
	s.mu.Unlock()
}

// Fail makes every request answer with the status (0: work again).
func (s *Server) Fail(status int) {
	s.mu.Lock()
	s.failing = status
	s.mu.Unlock()
}

// Heard returns the recognition requests so far.
func (s *Server) Heard() []Transcription {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Transcription(nil), s.heard...)
}

// Spoken returns the synthesis requests so far.
func (s *Server) Spoken() []Speech {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Speech(nil), s.spoken...)
}

func (s *Server) guard(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		failing := s.failing
		s.mu.Unlock()
		switch {
		case r.Header.Get("Authorization") != "Bearer "+s.Key:
			apiError(w, http.StatusUnauthorized, "invalid_api_key", "Incorrect API key provided.")
		case failing != 0:
			apiError(w, failing, "server_error", "The server had an error while processing your request.")
		default:
			h.ServeHTTP(w, r)
		}
	})
}

func apiError(w http.ResponseWriter, status int, code, msg string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(map[string]any{"error": map[string]any{"message": msg, "type": "invalid_request_error", "code": code}})
}

func (s *Server) transcribe(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", err.Error())
		return
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		apiError(w, http.StatusBadRequest, "invalid_request", "file: "+err.Error())
		return
	}
	b, _ := io.ReadAll(f)
	a, err := voice.ParseWAV(b)
	if err != nil || r.FormValue("model") == "" {
		apiError(w, http.StatusBadRequest, "invalid_request", "want a WAV file and a model")
		return
	}
	s.mu.Lock()
	s.heard = append(s.heard, Transcription{Model: r.FormValue("model"), Prompt: r.FormValue("prompt"), Audio: a})
	text := ""
	if len(s.script) > 0 {
		text, s.script = s.script[0], s.script[1:]
	}
	s.mu.Unlock()
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]string{"text": text})
}

func (s *Server) speak(w http.ResponseWriter, r *http.Request) {
	var p struct {
		Model  string `json:"model"`
		Input  string `json:"input"`
		Voice  string `json:"voice"`
		Format string `json:"response_format"`
	}
	if err := json.NewDecoder(r.Body).Decode(&p); err != nil || p.Input == "" || p.Model == "" || p.Voice == "" {
		apiError(w, http.StatusBadRequest, "invalid_request", "want model, input and voice")
		return
	}
	s.mu.Lock()
	s.spoken = append(s.spoken, Speech{Model: p.Model, Voice: p.Voice, Input: p.Input, Format: p.Format})
	s.mu.Unlock()
	if p.Format != "wav" {
		apiError(w, http.StatusBadRequest, "invalid_request", "this fake answers wav only")
		return
	}
	w.Header().Set("Content-Type", "audio/wav")
	_, _ = w.Write(voice.WAV(Tone(20 * len(p.Input))))
}

// Tone is ms of a quiet 440 Hz tone at Rate: what the fake "says".
func Tone(ms int) voice.Audio {
	a := voice.Audio{Rate: Rate, PCM: make([]int16, Rate*ms/1000)}
	for i := range a.PCM {
		a.PCM[i] = int16(3000 * math.Sin(2*math.Pi*440*float64(i)/Rate))
	}
	return a
}
