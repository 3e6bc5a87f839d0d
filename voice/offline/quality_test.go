package offline_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/voice"
	"github.com/steward-os/steward/voice/offline"
	"github.com/steward-os/steward/voice/voicetest"
)

// The decision-quality corpus (testdata/corpus.tsv) is generated at test
// time: each line is synthesized by espeak-ng in each voice and rate of
// voicetest, put through a phone line (8 kHz μ-law, a noise floor), cut by
// the endpointer, recognized with the read-back's grammar and judged.
// The bar is zero false accepts. TestDecisionQuality runs the whole corpus
// when STEWARD_VOICE_QUALITY=full (make voice-quality) and one voice and
// rate per line otherwise.

type line struct{ category, expect, text string }

func corpus(t *testing.T) []line {
	f, err := os.Open("testdata/corpus.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []line
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		s := sc.Text()
		if s == "" || strings.HasPrefix(s, "#") {
			continue
		}
		p := strings.Split(s, "\t")
		if len(p) != 3 {
			t.Fatalf("corpus line %q: want category, expect, text", s)
		}
		out = append(out, line{p[0], p[1], p[2]})
	}
	return out
}

type utterance struct {
	line
	voice string
	rate  int
	seed  uint64
}

type result struct {
	utterance
	heard   voice.Heard
	latency time.Duration // end of speech → reply synthesized
}

// hangover is the endpointer's wait after speech, as the calls use it.
const hangover = 400 * time.Millisecond

// TestDecisionQuality: 0 false accepts over the corpus (VOI-02, CHAN-06).
func TestDecisionQuality(t *testing.T) {
	e := voicetest.Offline(t)
	lines := corpus(t)
	var us []utterance
	for i, l := range lines {
		for vi, v := range voicetest.Voices {
			for ri, r := range voicetest.Rates {
				full := os.Getenv("STEWARD_VOICE_QUALITY") == "full"
				if !full && (vi*len(voicetest.Rates)+ri)%(len(voicetest.Voices)*len(voicetest.Rates)) != i%(len(voicetest.Voices)*len(voicetest.Rates)) {
					continue
				}
				us = append(us, utterance{l, v, r, uint64(i*100+vi*10+ri) + 1}) // the same audio in the subset and the whole run
			}
		}
	}
	g := voice.ConfirmGrammar(voice.Confirm, "web-1", []string{"web-2", "db-1", "staging-1"}, e)
	g.Context = []string{"restart"}
	results := run(t, e, g, us)
	rep := summarize(results)
	t.Logf("\n%s", rep.String())
	for _, r := range results {
		if r.expect != "yes" && r.heard.Verdict == voice.Yes {
			t.Errorf("false accept: %q (%s, %s at %d wpm) heard as %q", r.text, r.category, r.voice, r.rate, strings.Join(r.heard.Words, " "))
		}
		if r.expect == "no" && r.heard.Verdict == voice.Yes {
			t.Errorf("a no taken for yes: %q", r.text)
		}
	}
	if out := os.Getenv("STEWARD_VOICE_REPORT"); out != "" {
		if err := os.WriteFile(out, []byte(rep.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func run(t *testing.T, e *offline.Engine, g voice.Grammar, us []utterance) []result {
	out := make([]result, len(us))
	work := make(chan int)
	var wg sync.WaitGroup
	for range runtime.NumCPU() {
		wg.Go(func() {
			for i := range work {
				out[i] = hear(t, e, g, us[i])
			}
		})
	}
	for i := range us {
		work <- i
	}
	close(work)
	wg.Wait()
	return out
}

// hear plays one utterance through the endpointer, the recognizer and the
// judge, then synthesizes the reply, as a call does.
func hear(t *testing.T, e *offline.Engine, g voice.Grammar, u utterance) result {
	audio, speechEnd := voicetest.Caller(t, u.text, u.voice, u.rate, u.seed)
	l := voice.NewListener(8000, 20, int(hangover/time.Millisecond), 8000)
	res := result{utterance: u}
	for i, f := range voice.Frames(audio, 20) {
		edge, utt := l.Push(f)
		if edge != voice.EdgeEnd {
			continue
		}
		waited := time.Duration(max(0, (i+1)*160-speechEnd)) * time.Second / 8000
		start := time.Now()
		tr, err := e.Recognize(context.Background(), utt, g)
		if err != nil {
			t.Errorf("recognize %q: %v", u.text, err)
			return res
		}
		res.heard = voice.Judge(g, tr.Words)
		reply := "Please say yes or no. You can also press 1 to confirm or 2 to cancel."
		if res.heard.Verdict == voice.Yes {
			reply = "Confirmed. Restarting web one."
		}
		if _, err := e.Synthesize(context.Background(), reply, voice.Format{Rate: 8000}); err != nil {
			t.Errorf("synthesize: %v", err)
		}
		res.latency = waited + time.Since(start)
		return res
	}
	res.heard = voice.Heard{Verdict: voice.Unclear}
	res.latency = -1 // no speech heard: the call re-prompts after its timeout
	return res
}

type report struct {
	n, falseAccepts, yes, yesAccepted, wrongCancel, reprompts, unheard int
	byVerdict                                                          map[string]int
	p50, p95, max                                                      time.Duration
}

func summarize(rs []result) report {
	r := report{n: len(rs), byVerdict: map[string]int{}}
	var lat []time.Duration
	for _, x := range rs {
		v := x.heard.Verdict
		r.byVerdict[x.category+"→"+v.String()]++
		if x.expect != "yes" && v == voice.Yes {
			r.falseAccepts++
		}
		if x.expect == "yes" {
			r.yes++
			if v == voice.Yes {
				r.yesAccepted++
			}
			if v == voice.No {
				r.wrongCancel++
			}
		}
		if v != voice.Yes && v != voice.No {
			r.reprompts++
		}
		if x.latency < 0 {
			r.unheard++
			continue
		}
		lat = append(lat, x.latency)
	}
	slices.Sort(lat)
	if len(lat) > 0 {
		r.p50, r.p95, r.max = lat[len(lat)/2], lat[(len(lat)*95+99)/100-1], lat[len(lat)-1]
	}
	return r
}

func (r report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "utterances: %d (voices %s; rates %v wpm)\n", r.n, strings.Join(voicetest.Voices, ", "), voicetest.Rates)
	fmt.Fprintf(&b, "false accepts: %d\n", r.falseAccepts)
	fmt.Fprintf(&b, "confirmations heard as yes: %d of %d (%.1f %%); heard as no: %d\n", r.yesAccepted, r.yes, pct(r.yesAccepted, r.yes), r.wrongCancel)
	fmt.Fprintf(&b, "re-prompts: %d of %d (%.1f %%); no speech found: %d\n", r.reprompts, r.n, pct(r.reprompts, r.n), r.unheard)
	fmt.Fprintf(&b, "end of speech → reply synthesized (hangover %v included): p50 %v, p95 %v, max %v\n", hangover, r.p50.Round(time.Millisecond), r.p95.Round(time.Millisecond), r.max.Round(time.Millisecond))
	keys := make([]string, 0, len(r.byVerdict))
	for k := range r.byVerdict {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-28s %d\n", k, r.byVerdict[k])
	}
	return b.String()
}

func pct(a, b int) float64 {
	if b == 0 {
		return 0
	}
	return 100 * float64(a) / float64(b)
}
