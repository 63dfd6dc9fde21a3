//go:build !race

package test

// raceDetector: see mount_race_test.go.
const raceDetector = false
