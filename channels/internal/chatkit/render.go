package chatkit

import (
	"strings"
	"time"

	"github.com/steward-os/steward/channels"
	"github.com/steward-os/steward/session"
)

// Render turns a reply's parts into a platform's messages, in order. The
// parts between two proposal cards are shown as plain text
// (channels.PlainText), blank lines between them, cut into pieces by
// split, each piece a message made by text; each card becomes the
// messages card makes of it. Parts with no text are left out.
func Render[M any](parts []session.Part, now time.Time, split func(string) []string, text func(string) M, card func(*session.ProposalCard) []M) []M {
	var out []M
	var run []string
	flush := func() {
		for _, piece := range split(strings.Join(run, "\n\n")) {
			out = append(out, text(piece))
		}
		run = nil
	}
	for _, p := range parts {
		if c, ok := p.(*session.ProposalCard); ok {
			if len(run) > 0 {
				flush()
			}
			out = append(out, card(c)...)
			continue
		}
		if s := channels.PlainText(p, now); strings.TrimSpace(s) != "" {
			run = append(run, s)
		}
	}
	if len(run) > 0 {
		flush()
	}
	return out
}

// Fit cuts raw text into pieces that are at most limit long once escaped
// (as length measures a platform's limit), and returns them escaped. The
// cuts fall in the raw text, never inside an escape, where Split puts
// them; a piece whose escaped form is too long is cut again, smaller in
// proportion. Nothing is dropped but the separators cut at and pieces of
// white space alone.
func Fit(raw string, limit int, escape func(string) string, length func(string) int) []string {
	return fit(raw, limit, limit, escape, length)
}

func fit(raw string, at, limit int, escape func(string) string, length func(string) int) []string {
	var out []string
	for _, p := range Split(raw, at) {
		if strings.TrimSpace(p) == "" {
			continue
		}
		e := escape(p)
		n, runes := length(e), len([]rune(p))
		if n <= limit || runes < 2 {
			out = append(out, e)
			continue
		}
		next := runes * limit / n // < runes, since n > limit
		out = append(out, fit(p, max(1, min(next, runes-1)), limit, escape, length)...)
	}
	return out
}
