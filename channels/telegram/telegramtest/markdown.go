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
	var out strings.Builder
	var open []string // entity markers, innermost last
	rs := []rune(s)
	offset := func(i int) int { return len(string(rs[:i])) }
	top := func() string {
		if len(open) == 0 {
			return ""
		}
		return open[len(open)-1]
	}
	toggle := func(marker string, i int) error {
		if top() == marker {
			open = open[:len(open)-1]
			return nil
		}
		for _, m := range open {
			if m == marker {
				return fmt.Errorf("can't parse entities: entities overlap at byte offset %d", offset(i))
			}
		}
		open = append(open, marker)
		return nil
	}
	for i := 0; i < len(rs); i++ {
		c := rs[i]
		switch {
		case c == '\\':
			if i+1 >= len(rs) {
				return "", fmt.Errorf("can't parse entities: text must not end with a backslash")
			}
			i++
			out.WriteRune(rs[i])
		case c == '`':
			pre := i+2 < len(rs) && rs[i+1] == '`' && rs[i+2] == '`'
			end, text, err := code(rs, i, pre)
			if err != nil {
				return "", fmt.Errorf("can't parse entities: %w at byte offset %d", err, offset(i))
			}
			out.WriteString(text)
			i = end
		case c == '*':
			if err := toggle("*", i); err != nil {
				return "", err
			}
		case c == '_':
			marker := "_"
			if i+1 < len(rs) && rs[i+1] == '_' {
				marker = "__"
				i++
			}
			if err := toggle(marker, i); err != nil {
				return "", err
			}
		case c == '~':
			if err := toggle("~", i); err != nil {
				return "", err
			}
		case c == '|' && i+1 < len(rs) && rs[i+1] == '|':
			i++
			if err := toggle("||", i); err != nil {
				return "", err
			}
		case c == '[':
			open = append(open, "[")
		case c == ']' && top() == "[":
			open = open[:len(open)-1]
			if i+1 >= len(rs) || rs[i+1] != '(' {
				return "", fmt.Errorf("can't parse entities: Character ']' is reserved and must be escaped with the preceding '\\'")
			}
			j := i + 2
			for ; j < len(rs) && rs[j] != ')'; j++ {
				if rs[j] == '\\' {
					j++
				}
			}
			if j >= len(rs) {
				return "", fmt.Errorf("can't parse entities: Can't find end of a url at byte offset %d", offset(i))
			}
			i = j
		case strings.ContainsRune(reserved, c):
			return "", fmt.Errorf("can't parse entities: Character '%c' is reserved and must be escaped with the preceding '\\'", c)
		default:
			out.WriteRune(c)
		}
	}
	if len(open) > 0 {
		return "", fmt.Errorf("can't parse entities: Can't find end of the entity %q", top())
	}
	return out.String(), nil
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
