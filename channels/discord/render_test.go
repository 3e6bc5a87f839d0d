package discord

import (
	"context"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/steward-os/steward/channels/internal/chatkit"
	"github.com/steward-os/steward/kernel/kerneltest"
	"github.com/steward-os/steward/session"
)

func TestEscape(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct{ in, want string }{
		{"plain text, 100% fine.", "plain text, 100% fine."},
		{"hosting.restart_server", `hosting.restart\_server`},
		{"**bold** and *it*", `\*\*bold\*\* and \*it\*`},
		{"~~gone~~ ||spoiler||", `\~\~gone\~\~ \|\|spoiler\|\|`},
		{"`code` > quote", "\\`code\\` \\> quote"},
		{`C:\path`, `C:\\path`},
		{`\_`, `\\\_`},
		{"@everyone <@123>", `@everyone <@123\>`}, // pings are prevented by allowed_mentions
	} {
		if got := Escape(tc.in); got != tc.want {
			t.Errorf("Escape(%q) = %q, want %q", tc.in, got, tc.want)
		}
		if back := unescape(Escape(tc.in)); back != tc.in {
			t.Errorf("unescape(Escape(%q)) = %q", tc.in, back)
		}
	}
}

// Long replies are split at Discord's 2000 characters, after escaping,
// never between a backslash and what it escapes, dropping nothing.
func TestPiecesSplitAtLimit(t *testing.T) {
	t.Parallel()
	words := strings.Repeat("snake_case_word ", 400) // 6400 chars, 800 escapes
	plainRunes := strings.Repeat("é", 4500)          // multibyte, no spaces
	unders := strings.Repeat("_", 3000)              // every char doubles
	for name, text := range map[string]string{"words": words, "runes": plainRunes, "underscores": unders, "short": "hi_there"} {
		t.Run(name, func(t *testing.T) {
			ps := Pieces(text, MaxText)
			var joined strings.Builder
			for _, p := range ps {
				if n := utf8.RuneCountInString(p); n > MaxText || n == 0 {
					t.Fatalf("piece of %d characters", n)
				}
				if strings.HasSuffix(p, `\`) && !strings.HasSuffix(p, `\\`) {
					t.Fatalf("piece ends inside an escape: %q", p[len(p)-10:])
				}
				joined.WriteString(unescape(p))
			}
			want := strings.ReplaceAll(text, " ", "")
			if got := strings.ReplaceAll(joined.String(), " ", ""); got != want {
				t.Fatalf("text lost: %d vs %d characters", len(got), len(want))
			}
			if len(text) <= MaxText/2 && len(ps) != 1 {
				t.Fatalf("short text split: %d", len(ps))
			}
		})
	}
}

// A long reply arrives as several messages, each within the limit.
func TestLongReplySplit(t *testing.T) {
	t.Parallel()
	e := kerneltest.New(t, kerneltest.Options{})
	h := start(t, e, setup{})
	long := strings.Repeat("line_of_output with some words\n", 200) // 6200 chars
	if err := h.a.Deliver(context.Background(), session.Address{Channel: "discord", Account: alice.ID}, session.Outbound{Parts: []session.Part{&session.Text{Text: long}}}); err != nil {
		t.Fatal(err)
	}
	ms := h.fake.Messages(h.fake.DMChannel(alice.ID))
	if len(ms) < 4 {
		t.Fatalf("%d messages", len(ms))
	}
	var got []string
	for _, m := range ms {
		if utf8.RuneCountInString(m.Content) > MaxText {
			t.Fatalf("message of %d characters", utf8.RuneCountInString(m.Content))
		}
		got = append(got, unescape(m.Content))
	}
	if strings.TrimSpace(strings.Join(got, "\n")) != strings.TrimSpace(long) {
		t.Fatal("text lost in splitting")
	}
}

func TestCardRendering(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 11, 23, 9, 0, 0, 0, time.UTC)
	cool := now.Add(30 * time.Second)
	for _, tc := range []struct {
		card    session.ProposalCard
		buttons []string
		phrase  bool
	}{
		{session.ProposalCard{ID: "p_abc", Tool: "hosting.restart_server", SafetyLevel: 2, Summary: "Restart web-1", ExpiresAt: now.Add(10 * time.Minute)},
			[]string{"Confirm a:p_abc", "Reject r:p_abc"}, false},
		{session.ProposalCard{ID: "p_def", Tool: "hosting.delete_server", SafetyLevel: 4, DangerPhraseRequired: true, CoolingUntil: &cool, Summary: "Delete staging-1", ExpiresAt: now.Add(10 * time.Minute)},
			[]string{"Reject r:p_def"}, true},
	} {
		texts, comps := cardMessages(&tc.card, now)
		if len(texts) != 1 || len(comps) != 1 {
			t.Fatalf("%d texts, %d rows", len(texts), len(comps))
		}
		body := unescape(texts[0])
		if strings.Contains(body, "To confirm, type") != tc.phrase || strings.Contains(body, "To cancel") {
			t.Fatalf("card text: %s", body)
		}
		raw := string(mustJSON(t, comps))
		for _, b := range tc.buttons {
			label, id, _ := strings.Cut(b, " ")
			if !strings.Contains(raw, `"label":"`+label+`"`) || !strings.Contains(raw, `"custom_id":"`+id+`"`) {
				t.Fatalf("buttons %s: want %s", raw, b)
			}
		}
		if p, _, ok := chatkit.ParseButtonData("a:" + string(tc.card.ID)); !ok || p != tc.card.ID {
			t.Fatal("button data")
		}
	}
}
