package levels

import (
	"sync"

	"github.com/steward-os/steward/kernel/internal/redact"
	"github.com/steward-os/steward/session"
)

const maskedCacheSize = 8192

// FactMasker masks facts as a router or model may see them: PII masked and
// secrets removed. Facts are immutable, so each is masked once.
type FactMasker struct {
	mask *redact.Masker

	mu     sync.Mutex
	masked map[int64]session.Fact
}

// NewFactMasker returns a FactMasker.
func NewFactMasker(m *redact.Masker) *FactMasker {
	return &FactMasker{mask: m, masked: map[int64]session.Fact{}}
}

// Mask returns the fact with PII masked and secrets removed.
func (m *FactMasker) Mask(f session.Fact) session.Fact {
	m.mu.Lock()
	c, ok := m.masked[f.ID]
	m.mu.Unlock()
	if ok && f.ID != 0 {
		return c
	}
	f.Output = m.mask.JSON(f.Output)
	f.Args = m.mask.JSON(f.Args)
	m.mu.Lock()
	if len(m.masked) >= maskedCacheSize {
		clear(m.masked)
	}
	m.masked[f.ID] = f
	m.mu.Unlock()
	return f
}
