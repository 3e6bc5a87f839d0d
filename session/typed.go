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
	reLinkRedeem = regexp.MustCompile(`(?i)^\s*link\s+(` + codeChar + `{4}-?` + codeChar + `{4})\s*$`)
	reLinkCode   = regexp.MustCompile(codeChar + `{4}-` + codeChar + `{4}`)
)

// LinkCodeAlphabet is what link codes are made of: no 0/O, 1/I/L, because
// codes are read aloud and typed by hand. A code is XXXX-XXXX.
const LinkCodeAlphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"

// codeChar matches one character of LinkCodeAlphabet.
const codeChar = `[` + LinkCodeAlphabet + `]`

// RedactLinkCodes replaces every link code in b, so a code is never
// stored where only its hash may be.
func RedactLinkCodes(b []byte) []byte { return reLinkCode.ReplaceAll(b, []byte("[link code]")) }

// ParseDecision recognises the typed form of a decision ("confirm p_xxx
// [phrase]", "reject p_xxx") that channels without buttons show.
func ParseDecision(text string) (*Action, bool) {
	if a, ok := ParseGrant(text); ok {
		return a, true
	}
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
