package chatkit

import (
	"strings"
	"sync"
	"unicode/utf8"
)

// Split cuts text into pieces of at most max characters (runes), at a
// paragraph break, a line break or a space when one falls in the second
// half of a piece, else exactly at max. Nothing is dropped: joining the
// pieces with the separators cut at gives the text back.
func Split(text string, max int) []string {
	if max <= 0 || utf8.RuneCountInString(text) <= max {
		return []string{text}
	}
	var out []string
	for utf8.RuneCountInString(text) > max {
		// byte offset of the max-th rune
		cut := len(text)
		n := 0
		for i := range text {
			if n == max {
				cut = i
				break
			}
			n++
		}
		head := text[:cut]
		at, skip := -1, 0
		for _, sep := range []string{"\n\n", "\n", " "} {
			if i := strings.LastIndex(head, sep); i > 0 && utf8.RuneCountInString(head[:i]) >= max/2 {
				at, skip = i, len(sep)
				break
			}
		}
		if at < 0 {
			out = append(out, head)
			text = text[cut:]
			continue
		}
		out = append(out, head[:at])
		text = text[at+skip:]
	}
	if text != "" {
		out = append(out, text)
	}
	return out
}

// Recent is a bounded set of recently seen keys (oldest forgotten first).
type Recent struct {
	mu   sync.Mutex
	max  int
	keys map[string]struct{}
	ring []string
	next int
}

// NewRecent returns a set remembering up to max keys.
func NewRecent(max int) *Recent {
	return &Recent{max: max, keys: make(map[string]struct{}, max), ring: make([]string, max)}
}

// Seen reports whether key was seen, and records it.
func (r *Recent) Seen(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[key]
	r.addLocked(key)
	return ok
}

// Has reports whether key was recorded, without recording it (for a key
// to record only once its event has been answered).
func (r *Recent) Has(key string) bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	_, ok := r.keys[key]
	return ok
}

// Add records key.
func (r *Recent) Add(key string) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.addLocked(key)
}

func (r *Recent) addLocked(key string) {
	if _, ok := r.keys[key]; ok {
		return
	}
	if old := r.ring[r.next]; old != "" {
		delete(r.keys, old)
	}
	r.ring[r.next] = key
	r.next = (r.next + 1) % r.max
	r.keys[key] = struct{}{}
}
