package telegramtest

import (
	"fmt"
	"strings"
	"unicode/utf16"
)

// reserved are the characters MarkdownV2 requires to be escaped with a
// preceding backslash wherever they are not markup.
const reserved = "_*[]()~`>#+-=|{}.!"

// PlainText parses a MarkdownV2 message the way the Bot API does and
// returns the text a person sees (markup removed, escapes resolved). It
// fails, with the Bot API's wording, on an unescaped reserved character,
// an entity that is never closed, or a trailing backslash.
func PlainText(s string) (string, error) {
	p := &parser{rs: []rune(s)}
	for i := 0; i < len(p.rs); i++ {
		var err error
		if i, err = p.step(i); err != nil {
			return "", err
		}
	}
	if len(p.open) > 0 {
		return "", fmt.Errorf("can't parse entities: Can't find end of the entity %q", p.top())
	}
	return p.out.String(), nil
}

// parser is PlainText's state: the text, what it shows so far, and the
// entities open.
type parser struct {
	rs   []rune
	out  strings.Builder
	open []string // entity markers, innermost last
}

// step reads the rune at i, and returns the index of the last rune it
// read.
func (p *parser) step(i int) (int, error) {
	rs := p.rs
	c := rs[i]
	if marker, end, ok := p.marker(i); ok {
		return end, p.toggle(marker, end)
	}
	switch {
	case c == '\\':
		if i+1 >= len(rs) {
			return i, fmt.Errorf("can't parse entities: text must not end with a backslash")
		}
		p.out.WriteRune(rs[i+1])
		return i + 1, nil
	case c == '`':
		pre := i+2 < len(rs) && rs[i+1] == '`' && rs[i+2] == '`'
		end, text, err := code(rs, i, pre)
		if err != nil {
			return i, fmt.Errorf("can't parse entities: %w at byte offset %d", err, p.offset(i))
		}
		p.out.WriteString(text)
		return end, nil
	case c == '[':
		p.open = append(p.open, "[")
	case c == ']' && p.top() == "[":
		return p.link(i)
	case strings.ContainsRune(reserved, c):
		return i, fmt.Errorf("can't parse entities: Character '%c' is reserved and must be escaped with the preceding '\\'", c)
	default:
		p.out.WriteRune(c)
	}
	return i, nil
}

// marker reads an entity marker that opens or closes a span (*, _, __, ~,
// ||) at i, and the index of its last rune.
func (p *parser) marker(i int) (string, int, bool) {
	rs := p.rs
	switch {
	case rs[i] == '*' || rs[i] == '~':
		return string(rs[i]), i, true
	case rs[i] == '_' && i+1 < len(rs) && rs[i+1] == '_':
		return "__", i + 1, true
	case rs[i] == '_':
		return "_", i, true
	case rs[i] == '|' && i+1 < len(rs) && rs[i+1] == '|':
		return "||", i + 1, true
	}
	return "", i, false
}

// link closes a [text](url) entity at its ']' (i), skipping the url.
func (p *parser) link(i int) (int, error) {
	rs := p.rs
	p.open = p.open[:len(p.open)-1]
	if i+1 >= len(rs) || rs[i+1] != '(' {
		return i, fmt.Errorf("can't parse entities: Character ']' is reserved and must be escaped with the preceding '\\'")
	}
	j := i + 2
	for ; j < len(rs) && rs[j] != ')'; j++ {
		if rs[j] == '\\' {
			j++
		}
	}
	if j >= len(rs) {
		return i, fmt.Errorf("can't parse entities: Can't find end of a url at byte offset %d", p.offset(i))
	}
	return j, nil
}

func (p *parser) offset(i int) int { return len(string(p.rs[:i])) }

func (p *parser) top() string {
	if len(p.open) == 0 {
		return ""
	}
	return p.open[len(p.open)-1]
}

// toggle opens the entity marker, or closes it when it is the innermost
// one open; i is where the marker ends, for the error.
func (p *parser) toggle(marker string, i int) error {
	if p.top() == marker {
		p.open = p.open[:len(p.open)-1]
		return nil
	}
	for _, m := range p.open {
		if m == marker {
			return fmt.Errorf("can't parse entities: entities overlap at byte offset %d", p.offset(i))
		}
	}
	p.open = append(p.open, marker)
	return nil
}

// code reads a `code` or ```pre``` entity starting at i; inside, only ` and
// \ are escaped.
func code(rs []rune, i int, pre bool) (int, string, error) {
	fence := 1
	if pre {
		fence = 3
	}
	var b strings.Builder
	for j := i + fence; j < len(rs); j++ {
		switch {
		case rs[j] == '\\' && j+1 < len(rs):
			j++
			b.WriteRune(rs[j])
		case rs[j] == '`':
			if !pre {
				return j, b.String(), nil
			}
			if j+2 < len(rs) && rs[j+1] == '`' && rs[j+2] == '`' {
				return j + 2, b.String(), nil
			}
			return 0, "", fmt.Errorf("unescaped '`' inside a pre entity")
		default:
			b.WriteRune(rs[j])
		}
	}
	return 0, "", fmt.Errorf("can't find end of the code entity")
}

// Length is a text's length as the Bot API counts it: UTF-16 code units.
func Length(s string) int { return len(utf16.Encode([]rune(s))) }
