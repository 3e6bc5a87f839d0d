package sqlite

// AuditQueueDepth is how many audit append requests wait for the next
// group commit (metrics).
func (s *Store) AuditQueueDepth() int { return len(s.audit) }

// ObserveBatches has fn see the number of requests in each audit group
// commit, on the committing goroutine: fn must return at once.
func (s *Store) ObserveBatches(fn func(n int)) { s.batch.Store(&fn) }

func (s *Store) observeBatch(n int) {
	if fn := s.batch.Load(); fn != nil {
		(*fn)(n)
	}
}
