package web

// Sessions is how many WebSocket sessions are open (metrics).
func (w *Web) Sessions() int {
	w.mu.Lock()
	defer w.mu.Unlock()
	return len(w.conns)
}

// Sessions is how many WebSocket sessions the chat page has open; 0 before
// it starts or when it is disabled.
func (m *Module) Sessions() int {
	if m.web == nil {
		return 0
	}
	return m.web.Sessions()
}
