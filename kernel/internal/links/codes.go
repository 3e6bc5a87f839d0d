package links

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"strings"

	"github.com/steward-os/steward/session"
)

// newCode draws a code from session.LinkCodeAlphabet by rejection
// sampling, so every character is equally likely: XXXX-XXXX.
func newCode() string {
	alphabet := session.LinkCodeAlphabet
	out := make([]byte, 0, 8)
	var b [16]byte
	for len(out) < 8 {
		_, _ = rand.Read(b[:])
		for _, v := range b {
			if int(v) < 256-256%len(alphabet) && len(out) < 8 {
				out = append(out, alphabet[int(v)%len(alphabet)])
			}
		}
	}
	return string(out[:4]) + "-" + string(out[4:])
}

func codeHash(code string) string {
	norm := strings.ToUpper(strings.NewReplacer("-", "", " ", "").Replace(strings.TrimSpace(code)))
	h := sha256.Sum256([]byte("steward-link:" + norm))
	return hex.EncodeToString(h[:])
}
