package kit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"

	"github.com/steward-os/steward/session"
)

// Canonical re-encodes JSON with sorted keys and no insignificant space, so
// the same arguments always hash the same.
func Canonical(raw json.RawMessage) (json.RawMessage, error) {
	if len(raw) == 0 {
		return json.RawMessage("{}"), nil
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var v any
	if err := dec.Decode(&v); err != nil {
		return nil, err
	}
	return json.Marshal(v)
}

// ArgsHash is the hash shown on a proposal and re-checked at execution.
func ArgsHash(tool session.ToolID, canonicalArgs json.RawMessage) string {
	h := sha256.New()
	h.Write([]byte(tool))
	h.Write([]byte{0})
	h.Write(canonicalArgs)
	return hex.EncodeToString(h.Sum(nil))
}

// ArgMap decodes arguments into a map (empty when they are not an object).
func ArgMap(raw json.RawMessage) map[string]any {
	m := map[string]any{}
	_ = json.Unmarshal(raw, &m)
	return m
}

// SHA is the hex SHA-256 of b.
func SHA(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// IdempotencyKey is the key a handler gets for the dispatch claimed as
// claim (Env.IdempotencyKey): stable for the same request and step, and
// revealing nothing of the claim (which names the tenant, actor, channel
// and inbound id).
func IdempotencyKey(claim string) string {
	if claim == "" {
		return ""
	}
	return "ik_" + SHA([]byte(claim))[:32]
}

// DecodeNumbers decodes JSON keeping numbers as json.Number, so values
// pass through the kernel unchanged.
func DecodeNumbers(raw []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	return dec.Decode(v)
}
