package slacktest

import (
	"encoding/json"
	"strings"
)

// TextObject is a Block Kit text object.
type TextObject struct {
	Type string `json:"type"`
	Text string `json:"text"`
}

// Element is a Block Kit element (a button, or a context text).
type Element struct {
	Type     string          `json:"type"`
	ActionID string          `json:"action_id,omitempty"`
	Value    string          `json:"value,omitempty"`
	Style    string          `json:"style,omitempty"`
	Text     json.RawMessage `json:"text,omitempty"` // an object for buttons, a string for context mrkdwn
}

// Block is a Block Kit block, reduced to what the fake reads.
type Block struct {
	Type     string      `json:"type"`
	BlockID  string      `json:"block_id,omitempty"`
	Text     *TextObject `json:"text,omitempty"`
	Elements []Element   `json:"elements,omitempty"`
}

// Button is a button as a person sees it.
type Button struct {
	ActionID, Value, Style, Label string
}

// ParseBlocks decodes a message's blocks.
func ParseBlocks(raw json.RawMessage) []Block {
	var bs []Block
	_ = json.Unmarshal(raw, &bs)
	return bs
}

// Buttons are the buttons of a message's actions blocks.
func (c Call) Buttons() []Button {
	var out []Button
	for _, b := range ParseBlocks(c.Blocks) {
		if b.Type != "actions" {
			continue
		}
		for _, e := range b.Elements {
			if e.Type != "button" {
				continue
			}
			var t TextObject
			_ = json.Unmarshal(e.Text, &t)
			out = append(out, Button{ActionID: e.ActionID, Value: e.Value, Style: e.Style, Label: t.Text})
		}
	}
	return out
}

// Shown is what a person reads: the text of the section and context
// blocks (one per line) when the message has blocks, else its text; as
// sent (mrkdwn, escaped).
func (c Call) Shown() string {
	if len(c.Blocks) == 0 {
		return c.Text
	}
	var lines []string
	for _, b := range ParseBlocks(c.Blocks) {
		switch b.Type {
		case "section", "header":
			if b.Text != nil {
				lines = append(lines, b.Text.Text)
			}
		case "context":
			for _, e := range b.Elements {
				var s string
				if json.Unmarshal(e.Text, &s) == nil {
					lines = append(lines, s)
				}
			}
		}
	}
	return strings.Join(lines, "\n")
}

// Unescape turns Slack's escaped text (&amp; &lt; &gt;) back into what a
// person reads.
func Unescape(s string) string {
	return strings.NewReplacer("&lt;", "<", "&gt;", ">", "&amp;", "&").Replace(s)
}

var stringsReplacer = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
