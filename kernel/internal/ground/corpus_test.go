package ground

import (
	"bufio"
	"bytes"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite testdata/grounding/corpus.jsonl from the generator")

const corpusFile = "../../../testdata/grounding/corpus.jsonl"

// minPrecision is the lowest precision TestCorpus accepts. Measured on the
// committed corpus: 0.987 (157 fabrications caught, 2 false alarms, each a
// documented strictness of the rules: a unit conversion and a count the
// narrator derived from text rather than from a list; see
// docs/grounding.md). 0.95 allows at most 8 false alarms at this size: room
// for a few more paraphrases of those kinds, not for a rule that starts
// failing faithful narrations.
const minPrecision = 0.95

func encodeCorpus(cases []corpusCase) []byte {
	var b bytes.Buffer
	for _, c := range cases {
		line, err := json.Marshal(c)
		if err != nil {
			panic(err)
		}
		b.Write(line)
		b.WriteByte('\n')
	}
	return b.Bytes()
}

func loadCorpus(t *testing.T) []corpusCase {
	t.Helper()
	f, err := os.Open(corpusFile)
	if err != nil {
		t.Fatalf("%v (generate it with: go test ./kernel/internal/ground -run TestCorpusGenerated -update)", err)
	}
	defer f.Close()
	var out []corpusCase
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 1<<20), 1<<22)
	seen := map[string]bool{}
	for n := 1; sc.Scan(); n++ {
		if len(bytes.TrimSpace(sc.Bytes())) == 0 {
			continue
		}
		var c corpusCase
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&c); err != nil {
			t.Fatalf("%s:%d: %v", corpusFile, n, err)
		}
		if c.ID == "" || c.Category == "" || c.Text == "" || len(c.Facts) == 0 {
			t.Fatalf("%s:%d: id, category, text and facts are required", corpusFile, n)
		}
		if seen[c.ID] {
			t.Fatalf("%s:%d: duplicate id %s", corpusFile, n, c.ID)
		}
		seen[c.ID] = true
		out = append(out, c)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// TestCorpusGenerated keeps the committed corpus equal to what the
// generator produces from the real extensions, manifests and world (AF-13:
// the published corpus is reproducible). -update rewrites it.
func TestCorpusGenerated(t *testing.T) {
	want := encodeCorpus(generateCorpus(t))
	if *update {
		if err := os.MkdirAll(filepath.Dir(corpusFile), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(corpusFile, want, 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", corpusFile)
		return
	}
	got, err := os.ReadFile(corpusFile)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := 0; i < len(gl) && i < len(wl); i++ {
			if gl[i] != wl[i] {
				t.Fatalf("%s is stale at line %d (a template, result type or the world changed); "+
					"regenerate with: go test ./kernel/internal/ground -run TestCorpusGenerated -update\ncommitted: %s\ngenerated: %s",
					corpusFile, i+1, gl[i], wl[i])
			}
		}
		t.Fatalf("%s is stale (%d lines committed, %d generated); regenerate with -update", corpusFile, len(gl), len(wl))
	}
}

// TestCorpus measures the grounding check on the labelled corpus and
// publishes the result (AF-13). The positive class is "fabricated": a
// fabrication Check passes is a miss, a grounded text it flags is a false
// alarm. It fails if any planted fabrication passes (AF-05 values, AF-06
// counts, AF-07 statuses must all be caught: recall 100%) or if precision
// drops below minPrecision. The check runs outside any model, over the
// verbatim facts, as the kernel's enforce mode does (AF-08).
func TestCorpus(t *testing.T) {
	cases := loadCorpus(t)
	type tally struct{ n, grounded, flagged int }
	type conf struct{ tp, fp, fn, tn int }
	bySplit := map[string]*conf{}
	byCat := map[string]*tally{}
	var tp, fp, fn, tn int
	var missed, falseAlarms []string
	for _, c := range cases {
		res := Check(c.Text, c.sessionFacts(), Options{Request: c.Request})
		if res.Grounded != (len(res.Violations) == 0) {
			t.Errorf("%s: Grounded=%v with %d violations", c.ID, res.Grounded, len(res.Violations))
		}
		k := byCat[c.Category]
		if k == nil {
			k = &tally{}
			byCat[c.Category] = k
		}
		k.n++
		if c.Grounded {
			k.grounded++
		}
		flagged := !res.Grounded
		if flagged {
			k.flagged++
		}
		if !c.Grounded && c.Planted == "" {
			t.Errorf("%s: a fabricated case must name its planted claim", c.ID)
		}
		if !c.Grounded && flagged && !names(res.Violations, c.Planted) {
			// caught, but not for the planted claim: not a detection
			flagged = false
			t.Logf("%s: flagged %v but not the planted %q", c.ID, res.Violations, c.Planted)
		}
		split := c.Split
		if split == "" {
			split = "development"
		}
		sc := bySplit[split]
		if sc == nil {
			sc = &conf{}
			bySplit[split] = sc
		}
		switch {
		case !c.Grounded && flagged:
			sc.tp++
		case !c.Grounded && !flagged:
			sc.fn++
		case c.Grounded && flagged:
			sc.fp++
		default:
			sc.tn++
		}
		switch {
		case !c.Grounded && flagged:
			tp++
		case !c.Grounded && !flagged:
			fn++
			missed = append(missed, fmt.Sprintf("%s [%s] %q (%s)", c.ID, c.Category, c.Text, c.Note))
		case c.Grounded && flagged:
			fp++
			falseAlarms = append(falseAlarms, fmt.Sprintf("%s [%s] %q: %v", c.ID, c.Category, c.Text, res.Violations))
		default:
			tn++
		}
	}
	precision := ratio(tp, tp+fp)
	recall := ratio(tp, tp+fn)
	cats := make([]string, 0, len(byCat))
	for k := range byCat {
		cats = append(cats, k)
	}
	sort.Strings(cats)
	for _, k := range cats {
		v := byCat[k]
		t.Logf("category %-15s cases %3d  grounded %3d  fabricated %3d  flagged %3d", k, v.n, v.grounded, v.n-v.grounded, v.flagged)
	}
	for _, name := range []string{"development", "held-out"} {
		if sc := bySplit[name]; sc != nil {
			t.Logf("split %-11s cases %3d  TP %3d FP %2d FN %2d TN %3d  precision %.3f recall %.3f",
				name, sc.tp+sc.fp+sc.fn+sc.tn, sc.tp, sc.fp, sc.fn, sc.tn, ratio(sc.tp, sc.tp+sc.fp), ratio(sc.tp, sc.tp+sc.fn))
		}
	}
	for _, m := range missed {
		t.Logf("MISSED fabrication: %s", m)
	}
	for _, f := range falseAlarms {
		t.Logf("FALSE ALARM: %s", f)
	}
	summary := fmt.Sprintf("grounding corpus: %d cases (%d grounded, %d fabricated); TP %d FP %d FN %d TN %d; precision %.3f recall %.3f; fabrication pass-through rate %.3f",
		len(cases), tn+fp, tp+fn, tp, fp, fn, tn, precision, recall, 1-recall)
	t.Log(summary)
	fmt.Println(summary)
	if len(cases) < 200 {
		t.Errorf("corpus has %d cases; at least 200 are required", len(cases))
	}
	if fn > 0 {
		t.Errorf("%d planted fabrication(s) passed the check (recall %.3f, must be 1.000)", fn, recall)
	}
	if precision < minPrecision {
		t.Errorf("precision %.3f is below %.2f", precision, minPrecision)
	}
}

// names reports whether a violation names the planted claim.
func names(vs []Violation, planted string) bool {
	for _, v := range vs {
		if strings.EqualFold(v.Token, planted) {
			return true
		}
	}
	return false
}

func ratio(a, b int) float64 {
	if b == 0 {
		return 1
	}
	return float64(a) / float64(b)
}
