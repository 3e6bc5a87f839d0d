package session

import (
	"regexp"
	"strings"
)

// The typed forms people send that are not requests for a tool: the
// kernel acts on them, and chat channels recognise them to know what a
// message did (a decision whose card to edit, a link code to keep out of
// a group).
var (
	reConfirm    = regexp.MustCompile(`(?i)^\s*(?:confirm|accept|approve)\s+(p_[a-z2-7]+)\s*(.*?)\s*$`)
	reReject     = regexp.MustCompile(`(?i)^\s*(?:reject|decline|deny)\s+(p_[a-z2-7]+)\s*$`)
	reLinkAsk    = regexp.MustCompile(`(?i)^\s*(?:please\s+)?(?:link|connect)(?:\s+(?:my|this|another|a))?(?:\s+(?:account|channel|app))?\s*[.!?]?\s*$`)
	reLinkRedeem = regexp.MustCompile(`(?i)^\s*link\s+([23456789A-HJ-NP-Z]{4}-?[23456789A-HJ-NP-Z]{4})\s*$`)
)

// ParseDecision recognises the typed form of a decision ("confirm p_xxx
// [phrase]", "reject p_xxx") that channels without buttons show.
func ParseDecision(text string) (*Action, bool) {
	if m := reConfirm.FindStringSubmatch(text); m != nil {
		return &Action{Kind: ActionAccept, Proposal: ProposalID(strings.ToLower(m[1])), Phrase: m[2]}, true
	}
	if m := reReject.FindStringSubmatch(text); m != nil {
		return &Action{Kind: ActionReject, Proposal: ProposalID(strings.ToLower(m[1]))}, true
	}
	return nil, false
}

// IsLinkRequest recognises a request for a link code ("link my account",
// "connect this app", …).
func IsLinkRequest(text string) bool { return reLinkAsk.MatchString(text) }

// LinkRedeemCode recognises "link ABCD-EFGH", the message an account that
// is not linked yet sends to link itself, and returns the code.
func LinkRedeemCode(text string) (string, bool) {
	m := reLinkRedeem.FindStringSubmatch(text)
	if m == nil {
		return "", false
	}
	return m[1], true
}
