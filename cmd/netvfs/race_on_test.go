//go:build race

package main

// raceBuild: the tests run under -race, so TestMain builds the binary with
// it too and the commands run under the race detector.
const raceBuild = true
