// Package centralita holds Centralita's domain types and the interfaces its
// engines and facades depend on. It imports no adapter.
package centralita

// Version is the release of this build, reported by /healthz and `centralita version`.
const Version = "0.1.0-dev"
