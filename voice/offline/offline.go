// Package offline is the speech engine that needs no network and no key:
// recognition by pocketsphinx and synthesis by espeak-ng, each run as a
// process (espeak-ng is GPL-3 and is never linked), audio converted by
// sox.
//
// Contract. Recognition is constrained: every call gets the prompt's
// grammar (voice.Grammar, rendered as JSGF) and a dictionary holding only
// that grammar's words, so the recognizer can only answer with words the
// dialogue listens for, and starts in a tenth of a second. It cannot
// take open requests (Speech.Open is false). New checks that the programs
// and the model are installed and says what to install when they are not;
// nothing here reaches the network.
package offline

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"

	"github.com/steward-os/steward/voice"
)

// Options configure the engine; zero values are the Debian defaults.
type Options struct {
	// Model is the acoustic model directory and Dict the pronouncing
	// dictionary (Debian's pocketsphinx-en-us).
	Model string
	Dict  string
	// Voice is the espeak-ng voice ("en-us") and Rate its words a minute
	// (espeak-ng's default when 0).
	Voice string
	Rate  int
}

// Debian's paths for the US English model.
const (
	DefaultModel = "/usr/share/pocketsphinx/model/en-us/en-us"
	DefaultDict  = "/usr/share/pocketsphinx/model/en-us/cmudict-en-us.dict"
)

// decoder is pocketsphinx's batch decoder.
const decoder = "pocketsphinx_batch"

// The programs the engine runs.
var programs = []struct{ bin, pkg string }{
	{decoder, "pocketsphinx"},
	{"espeak-ng", "espeak-ng"},
	{"sox", "sox"},
}

// NoiseFloor is the level of the noise laid under phone audio brought up
// to 16 kHz before recognition, in dBFS (see voice.FillBand).
const NoiseFloor = -45

// Engine is the offline recognizer and synthesizer.
type Engine struct {
	o    Options
	bins map[string]string
	dict map[string][]string // word → its pronunciation lines
}

// Missing lists what is not installed, as Debian package names, and the
// reason for each.
func Missing(o Options) []string {
	o.defaults()
	var out []string
	for _, p := range programs {
		if _, err := exec.LookPath(p.bin); err != nil {
			out = append(out, fmt.Sprintf("%s (program %s)", p.pkg, p.bin))
		}
	}
	for _, f := range []string{filepath.Join(o.Model, "mdef"), o.Dict} {
		if _, err := os.Stat(f); err != nil {
			out = append(out, fmt.Sprintf("pocketsphinx-en-us (%s)", f))
			break
		}
	}
	return out
}

func (o *Options) defaults() {
	if o.Model == "" {
		o.Model = DefaultModel
	}
	if o.Dict == "" {
		o.Dict = DefaultDict
	}
	if o.Voice == "" {
		o.Voice = "en-us"
	}
}

// New checks the installation and loads the dictionary.
func New(o Options) (*Engine, error) {
	o.defaults()
	if m := Missing(o); len(m) > 0 {
		return nil, fmt.Errorf("offline speech engine: not installed: %s (Debian: apt-get install espeak-ng pocketsphinx pocketsphinx-en-us sox, or make deps)", strings.Join(m, ", "))
	}
	e := &Engine{o: o, bins: map[string]string{}}
	for _, p := range programs {
		e.bins[p.bin], _ = exec.LookPath(p.bin)
	}
	d, err := loadDict(o.Dict)
	if err != nil {
		return nil, err
	}
	e.dict = d
	return e, nil
}

var (
	dictMu    sync.Mutex
	dictCache = map[string]map[string][]string{}
)

// loadDict reads a pronouncing dictionary once per process.
func loadDict(path string) (map[string][]string, error) {
	dictMu.Lock()
	defer dictMu.Unlock()
	if d, ok := dictCache[path]; ok {
		return d, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("offline speech engine: dictionary: %w", err)
	}
	defer f.Close()
	d := map[string][]string{}
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		w, _, ok := strings.Cut(line, " ")
		if !ok {
			continue
		}
		if i := strings.IndexByte(w, '('); i > 0 {
			w = w[:i]
		}
		d[w] = append(d[w], line)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("offline speech engine: dictionary: %w", err)
	}
	dictCache[path] = d
	return d, nil
}

// Knows implements voice.Lexicon.
func (e *Engine) Knows(w string) bool { return len(e.dict[w]) > 0 }

// Speech is the engine as the dialogue uses it.
func (e *Engine) Speech() voice.Speech {
	return voice.Speech{Name: voice.EngineOffline, STT: e, TTS: e, Open: false, Lexicon: e}
}

// Recognize implements voice.STT: pocketsphinx over the audio at 16 kHz,
// constrained by the grammar, with a dictionary of only its words.
func (e *Engine) Recognize(ctx context.Context, a voice.Audio, g voice.Grammar) (voice.Transcript, error) {
	if g.Kind == voice.Open {
		return voice.Transcript{}, errors.New("the offline recognizer cannot take open requests")
	}
	narrow := a.Rate < 16000
	a, err := voice.To16k(a)
	if err != nil {
		return voice.Transcript{}, err
	}
	if narrow {
		a = voice.FillBand(a, NoiseFloor)
	}
	dir, err := os.MkdirTemp("", "steward-asr-")
	if err != nil {
		return voice.Transcript{}, fmt.Errorf("recognize: %w", err)
	}
	defer os.RemoveAll(dir)
	gram, dict := filepath.Join(dir, "g.gram"), filepath.Join(dir, "g.dict")
	files := map[string][]byte{gram: []byte(g.JSGF()), dict: e.subDict(g.Words()),
		filepath.Join(dir, "u.raw"): voice.LE16(a.PCM), filepath.Join(dir, "ctl"): []byte("u\n")}
	for name, b := range files {
		if err := os.WriteFile(name, b, 0o600); err != nil {
			return voice.Transcript{}, fmt.Errorf("recognize: %w", err)
		}
	}
	hyp := filepath.Join(dir, "hyp")
	// The batch decoder takes the utterance whole: no voice-activity
	// detection of its own to cut it (the dialogue's endpointer did).
	cmd := exec.CommandContext(ctx, e.bins[decoder], "-adcin", "yes", "-cepdir", dir, "-cepext", ".raw",
		"-ctl", filepath.Join(dir, "ctl"), "-hyp", hyp, "-samprate", "16000",
		"-hmm", e.o.Model, "-dict", dict, "-jsgf", gram, "-logfn", "/dev/null")
	var errb bytes.Buffer
	cmd.Stderr = &errb
	if err := cmd.Run(); err != nil {
		return voice.Transcript{}, fmt.Errorf("pocketsphinx: %w: %s", err, tail(errb.String()))
	}
	out, err := os.ReadFile(hyp)
	if err != nil {
		return voice.Transcript{}, fmt.Errorf("pocketsphinx: %w", err)
	}
	text := string(out)
	if i := strings.LastIndexByte(text, '('); i >= 0 {
		text = text[:i] // "(u -2873)": the utterance id and its score
	}
	text = strings.Join(strings.Fields(text), " ")
	return voice.Transcript{Text: text, Words: voice.WordsOf(text)}, nil
}

// subDict is the part of the dictionary for the given words; a word it
// lacks is left out (the grammar is built from the lexicon, so none is).
func (e *Engine) subDict(words []string) []byte {
	var b bytes.Buffer
	for _, w := range words {
		for _, l := range e.dict[w] {
			b.WriteString(l)
			b.WriteByte('\n')
		}
	}
	return b.Bytes()
}

// Synthesize implements voice.TTS: espeak-ng reads the text from its
// standard input (never its arguments) and sox converts its output to
// the rate asked for.
func (e *Engine) Synthesize(ctx context.Context, text string, f voice.Format) (voice.Audio, error) {
	args := []string{"-v", e.o.Voice, "--stdin", "--stdout"}
	if e.o.Rate > 0 {
		args = append(args, "-s", fmt.Sprint(e.o.Rate))
	}
	speak := exec.CommandContext(ctx, e.bins["espeak-ng"], args...)
	speak.Stdin = strings.NewReader(text)
	conv := exec.CommandContext(ctx, e.bins["sox"], "-q", "-t", "wav", "-", "-t", "raw", "-r", fmt.Sprint(f.Rate), "-e", "signed", "-b", "16", "-c", "1", "-")
	pcm, err := pipe(speak, conv)
	if err != nil {
		return voice.Audio{}, fmt.Errorf("synthesize: %w", err)
	}
	samples, err := voice.FromLE16(pcm[:len(pcm)&^1])
	return voice.Audio{Rate: f.Rate, PCM: samples}, err
}

// pipe runs a | b and returns b's output.
func pipe(a, b *exec.Cmd) ([]byte, error) {
	pr, pw, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	var out, ea, eb bytes.Buffer
	a.Stdout, a.Stderr = pw, &ea
	b.Stdin, b.Stdout, b.Stderr = pr, &out, &eb
	errA := a.Start()
	var errB error
	if errA == nil {
		errB = b.Start()
	}
	pw.Close()
	pr.Close()
	if errA != nil {
		return nil, errA
	}
	if errB != nil {
		_ = a.Process.Kill()
		_ = a.Wait()
		return nil, errB
	}
	errB, errA = b.Wait(), a.Wait()
	if errA != nil {
		return nil, fmt.Errorf("%s: %w: %s", filepath.Base(a.Path), errA, tail(ea.String()))
	}
	if errB != nil {
		return nil, fmt.Errorf("%s: %w: %s", filepath.Base(b.Path), errB, tail(eb.String()))
	}
	return out.Bytes(), nil
}

func tail(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > 300 {
		s = s[len(s)-300:]
	}
	return s
}
