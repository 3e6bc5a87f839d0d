package channels

import (
	"fmt"
	"strings"
	"time"

	"github.com/steward-os/steward/session"
)

var levelNames = []string{"READ", "SAFE WRITE", "WRITE", "DANGEROUS", "CRITICAL"}

// LevelName is the human name of a safety level.
func LevelName(l int) string {
	if l < 0 || l >= len(levelNames) {
		return fmt.Sprintf("LEVEL %d", l)
	}
	return levelNames[l]
}

// PlainText renders one part for a channel without buttons. A proposal
// ends with the typed instruction that confirms or rejects it.
func PlainText(p session.Part, now time.Time) string {
	switch x := p.(type) {
	case *session.Text:
		return x.Text
	case *session.Error:
		return fmt.Sprintf("✗ %s [%s]", x.Message, x.Code)
	case *session.Progress:
		if p := x; p.Message != "" {
			return fmt.Sprintf("… task %s (%s): %s, %d%% — %s", p.Task, p.Tool, p.State, p.Percent, p.Message)
		}
		return fmt.Sprintf("… task %s (%s): %s, %d%%", x.Task, x.Tool, x.State, x.Percent)
	case *session.AlertCard:
		return AlertText(x, true)
	case *session.ProposalCard:
		var b strings.Builder
		fmt.Fprintf(&b, "⚠ Needs your confirmation — level %d (%s)\n", x.SafetyLevel, LevelName(x.SafetyLevel))
		fmt.Fprintf(&b, "  %s\n", x.Summary)
		fmt.Fprintf(&b, "  tool: %s  args: %s\n", x.Tool, string(x.Args))
		fmt.Fprintf(&b, "  args hash: %s\n", x.ArgsHash)
		fmt.Fprintf(&b, "  impact: %s\n", x.Impact.Summary)
		if x.CoolingUntil != nil {
			wait := x.CoolingUntil.Sub(now).Round(time.Second)
			if wait > 0 {
				fmt.Fprintf(&b, "  cooling period: can be confirmed in %s (at %s)\n", wait, x.CoolingUntil.UTC().Format("15:04:05 MST"))
			}
		}
		fmt.Fprintf(&b, "  expires: %s\n", x.ExpiresAt.UTC().Format("15:04:05 MST"))
		if x.Approval != nil {
			fmt.Fprintf(&b, "  approval: %s; asked: %s\n", x.Approval.Line(), strings.Join(actorNames(x.Approval.Asked), ", "))
		}
		if x.Grantable() {
			fmt.Fprintf(&b, "  To allow it for this session, type: allow %s for this session\n", x.ID)
		}
		if x.DangerPhraseRequired {
			fmt.Fprintf(&b, "  To confirm, type: confirm %s <exact name of the target>\n", x.ID)
		} else {
			fmt.Fprintf(&b, "  To confirm, type: confirm %s\n", x.ID)
		}
		fmt.Fprintf(&b, "  To cancel, type: reject %s", x.ID)
		return b.String()
	}
	return ""
}

func actorNames(ids []session.ActorID) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = string(id)
	}
	return out
}
