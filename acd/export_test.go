package acd

import "slices"

// Legs lists the channel ids the engine tracks, sorted.
func Legs(e *Engine) []string {
	e.mu.Lock()
	defer e.mu.Unlock()
	var ids []string
	for id := range e.legs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}
