//go:build !race

package dialer_test

// raceOn tells tests the race detector slows everything down.
const raceOn = false
