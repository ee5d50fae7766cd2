package dialer

// CallInfo reports what the engine knows of a call in progress (tests).
func (e *Engine) CallInfo(id string) (answered, connected, ok bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	c := e.calls[id]
	if c == nil {
		return false, false, false
	}
	return c.answered, c.connected, true
}

// Rows reports how many queue_log rows wait to be applied (tests).
func (e *Engine) Rows() int {
	e.mu.Lock()
	defer e.mu.Unlock()
	return len(e.rows)
}
