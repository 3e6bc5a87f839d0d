package kernel_test

import "testing"

// Floors of the conversation sets: a little below the measured figures
// (docs/router.md, docs/conversation.md). No wrong execution and no
// force-fit is tolerated.
const heldOutConversationsMin = 0.95

// TestConversationHeldOut runs the multi-turn held-out set end to end.
func TestConversationHeldOut(t *testing.T) {
	if len(heldOutConversations) < 60 {
		t.Fatalf("the set has %d conversations, want at least 60", len(heldOutConversations))
	}
	m := scoreConversations(t, "conversations-held-out", heldOutConversations)
	if got := float64(m.convOK) / float64(m.convs); got < heldOutConversationsMin {
		t.Errorf("conversations: %.1f%% < %.0f%%", 100*got, 100*heldOutConversationsMin)
	}
	if m.wrongExec > 0 || m.forceFits > 0 {
		t.Errorf("conversations: %d wrong executions, %d force-fits", m.wrongExec, m.forceFits)
	}
}
