package telegram

import (
	"strings"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/telegram/telegramtest"
	"github.com/steward-os/steward/session"
)

// Splitting happens on the raw text but is measured after escaping, so
// text made of reserved characters (which doubles) and of characters
// outside the BMP (two UTF-16 units each) still fits.
func TestSplitEscaped(t *testing.T) {
	cases := []struct {
		name string
		text string
	}{
		{"short", "hello."},
		{"all reserved", strings.Repeat("_*[]()~`>#+-=|{}.!", 800)},
		{"words and dots", strings.Repeat("a.b ", 5000)},
		{"astral", strings.Repeat("𝔘.", 3000)},
		{"lines", strings.Repeat("line one (1)\n", 1000)},
		{"backslashes", strings.Repeat(`\`, 5000)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var got strings.Builder
			for _, p := range splitEscaped(c.text, MaxText) {
				if n := length(p); n > MaxText {
					t.Fatalf("piece of %d", n)
				}
				plain, err := telegramtest.PlainText(p)
				if err != nil {
					t.Fatalf("piece does not parse: %v", err)
				}
				got.WriteString(plain)
			}
			strip := strings.NewReplacer(" ", "", "\n", "")
			if strip.Replace(got.String()) != strip.Replace(c.text) {
				t.Fatal("text lost")
			}
		})
	}
}

func TestToastFits(t *testing.T) {
	cases := []*session.Error{
		{Code: session.CodeNotYourProposal, Message: "This proposal belongs to someone else."},
		{Code: session.CodeUnknownSender, Message: strings.Repeat("long ", 100)},
		{Code: session.CodeProposalExpired, Message: strings.Repeat("é", 400)},
	}
	for _, e := range cases {
		s := toast(e)
		if length(s) > MaxToast || !strings.HasPrefix(s, "✗ ") || !strings.HasSuffix(s, " ["+e.Code+"]") {
			t.Fatalf("toast %q (%d)", s, length(s))
		}
	}
	if s := toast(&session.Error{Code: session.CodeUnknownSender}); !strings.Contains(s, `"link ABCD-EFGH"`) {
		t.Fatalf("unknown sender toast does not say how to link: %q", s)
	}
}

// A card with huge arguments is split, its keyboard on the last piece.
func TestLongCard(t *testing.T) {
	c := &session.ProposalCard{ID: "p_abcdefgh", Tool: "x.y", Args: []byte(`"` + strings.Repeat("a.", 3000) + `"`), SafetyLevel: 2, Summary: "s", ExpiresAt: time.Now()}
	out := renderCard(c, time.Now())
	if len(out) < 2 || out[len(out)-1].kb == nil || out[0].kb != nil {
		t.Fatalf("%d pieces", len(out))
	}
	for _, m := range out {
		if length(m.text) > MaxText {
			t.Fatalf("piece of %d", length(m.text))
		}
	}
}
