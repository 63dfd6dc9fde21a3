//go:build race

package test

// raceDetector reports that the tests run under the race detector, which
// makes the process serving the mounts several times slower: the workloads
// then run on smaller trees to keep the package's time bounded.
const raceDetector = true
