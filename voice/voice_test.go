package voice_test

import (
	"testing"

	"github.com/steward-os/steward/voice"
)

// TestSpell: identifiers are spelled by our own code (VOI-01).
func TestSpell(t *testing.T) {
	for _, c := range []struct{ id, want string }{
		{"web-1", "whiskey echo bravo, dash, one"},
		{"staging-1", "sierra tango alpha golf, india november golf, dash, one"},
		{"db-10", "delta bravo, dash, one zero"},
		{"shop.acme.test", "sierra hotel oscar papa, dot, alpha charlie mike echo, dot, tango echo sierra tango"},
	} {
		if got := voice.Spell(c.id); got != c.want {
			t.Errorf("Spell(%q) = %q, want %q", c.id, got, c.want)
		}
		if back := voice.ParseSpelled(voice.SpelledWords(c.id)); back != c.id {
			t.Errorf("ParseSpelled(SpelledWords(%q)) = %q", c.id, back)
		}
	}
}

// TestJudge: only a plain confirmation of the pending target is yes;
// backchannels, other targets, a bare "yes" and mixed answers are not
// (VOI-02).
func TestJudge(t *testing.T) {
	g := voice.ConfirmGrammar(voice.Confirm, "web-1", []string{"web-2", "staging-1"}, voice.AnyWord{})
	for _, c := range []struct {
		heard string
		want  voice.Verdict
	}{
		{"approve", voice.Yes}, {"confirm please", voice.Yes}, {"go ahead", voice.Yes},
		{"yes", voice.Unclear}, {"yeah", voice.Backchannel}, {"okay", voice.Backchannel}, {"uh huh", voice.Backchannel},
		{"yeah approve", voice.Unclear}, {"approve web two", voice.OtherTarget}, {"web two", voice.OtherTarget},
		{"approve web one", voice.Yes}, {"no", voice.No}, {"don't approve", voice.Unclear}, {"cancel", voice.No},
		{"what time approve", voice.Unclear}, {"", voice.Unclear},
	} {
		if h := voice.Judge(g, voice.WordsOf(c.heard)); h.Verdict != c.want {
			t.Errorf("Judge(%q) = %v, want %v", c.heard, h.Verdict, c.want)
		}
	}
	p := voice.ConfirmGrammar(voice.Phrase, "staging-1", nil, voice.AnyWord{})
	if h := voice.Judge(p, voice.SpelledWords("staging-1")); h.Verdict != voice.Spelled || h.Phrase != "staging-1" {
		t.Errorf("spelled phrase: %+v", h)
	}
}

// TestEndpointer: speech starts above the noise floor and ends after the
// hangover.
func TestEndpointer(t *testing.T) {
	l := voice.NewListener(8000, 20, 400, 8000)
	quiet, loud := make([]int16, 160), make([]int16, 160)
	for i := range loud {
		loud[i] = int16(8000 * (1 - 2*(i%2)))
		quiet[i] = int16(3 * (1 - 2*(i%2)))
	}
	var edges []voice.Edge
	feed := func(f []int16, n int) {
		for range n {
			if e, _ := l.Push(f); e != voice.EdgeNone {
				edges = append(edges, e)
			}
		}
	}
	feed(quiet, 20)
	feed(loud, 25)
	feed(quiet, 19)
	if len(edges) != 1 || edges[0] != voice.EdgeStart {
		t.Fatalf("before the hangover: %v", edges)
	}
	feed(quiet, 2)
	if len(edges) != 2 || edges[1] != voice.EdgeEnd {
		t.Fatalf("after the hangover: %v", edges)
	}
}
