package main

import (
	"bytes"
	"context"
	"encoding/json"
	"strings"
	"testing"
)

// TestSoakShort is `make soak` made small: 20 sessions × 10 turns of the
// default mix on 4 actors against the embedded gateway. Every session
// finishes, every turn is counted once, nothing is lost, misrouted or
// refused unexpectedly, and the report has a reading before and one per
// tenth with the start, middle and end named.
func TestSoakShort(t *testing.T) {
	var out, errb bytes.Buffer
	code := run(context.Background(), []string{"bench", "--embedded", "--soak", "--sessions", "20", "--turns-per-session", "10", "--concurrency", "4", "--json"}, strings.NewReader(""), &out, &errb)
	if code != 0 {
		t.Fatalf("bench exited %d\n%s\n%s", code, out.String(), errb.String())
	}
	type point struct {
		Sessions int64        `json:"sessions_done"`
		Turns    int64        `json:"turns"`
		RSS      int64        `json:"rss_bytes"`
		Heap     int64        `json:"heap_live_bytes"`
		Latency  benchLatency `json:"latency"`
	}
	var rep struct {
		Soak *struct {
			Done       int64                               `json:"sessions_done"`
			Turns      int64                               `json:"turns"`
			Lost       int64                               `json:"lost"`
			Misrouted  int64                               `json:"misrouted"`
			Duplicates int64                               `json:"duplicates"`
			Odd        int64                               `json:"unexpected_replies"`
			Errors     struct{ Unexpected map[string]int } `json:"errors"`
			Before     point                               `json:"before"`
			Points     []point                             `json:"points"`
			Start      *point                              `json:"start"`
			Middle     *point                              `json:"middle"`
			End        *point                              `json:"end"`
			Failed     string                              `json:"first_failure"`
		} `json:"soak"`
		Targets []struct {
			Target string `json:"target"`
			Met    bool   `json:"met"`
		} `json:"targets"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil || rep.Soak == nil {
		t.Fatalf("report: %v\n%s", err, out.String())
	}
	s := rep.Soak
	if s.Done != 20 || s.Turns != 200 || s.Lost+s.Misrouted+s.Duplicates+s.Odd != 0 || len(s.Errors.Unexpected) != 0 || s.Failed != "" {
		t.Fatalf("soak: %+v\n%s", s, errb.String())
	}
	if len(s.Points) != 10 || s.Start == nil || s.Middle == nil || s.End == nil || s.End.Sessions != 20 || s.Before.RSS <= 0 {
		t.Fatalf("readings: %+v", s.Points)
	}
	var turns int64
	for i, p := range s.Points {
		turns += p.Turns
		if p.Sessions != int64(2*(i+1)) || p.RSS <= 0 || p.Heap <= 0 || p.Latency.Count != int(p.Turns) || p.Latency.P99 < p.Latency.P50 {
			t.Fatalf("reading %d: %+v", i, p)
		}
	}
	if turns != s.Turns {
		t.Fatalf("the readings hold %d turns, the soak %d", turns, s.Turns)
	}
	found := false
	for _, v := range rep.Targets {
		found = found || strings.HasPrefix(v.Target, "soak: every session")
		if strings.HasPrefix(v.Target, "soak: every session") && !v.Met {
			t.Fatalf("target not met: %+v", v)
		}
	}
	if !found {
		t.Fatalf("no soak verdicts: %+v", rep.Targets)
	}
}
