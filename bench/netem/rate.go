package netem

// This file parses bandwidths written by people (flags). No state.

import (
	"fmt"
	"strconv"
	"strings"
)

// ParseRate parses a bandwidth: a number of bytes per second, optionally
// with a suffix: "kbit", "Mbit", "Gbit" (bits, powers of 1000) or "KB",
// "MB", "GB" (bytes, powers of 1000). "" is 0 (no cap).
func ParseRate(s string) (int64, error) {
	if s == "" {
		return 0, nil
	}
	units := []struct {
		suffix string
		mult   float64
	}{
		{"kbit", 1e3 / 8}, {"mbit", 1e6 / 8}, {"gbit", 1e9 / 8},
		{"kb", 1e3}, {"mb", 1e6}, {"gb", 1e9}, {"bit", 1.0 / 8}, {"b", 1},
	}
	lower := strings.ToLower(strings.TrimSpace(s))
	mult := 1.0
	for _, u := range units {
		if strings.HasSuffix(lower, u.suffix) {
			lower, mult = strings.TrimSuffix(lower, u.suffix), u.mult
			break
		}
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(lower), 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("%q: want a rate such as 100Mbit or 10MB", s)
	}
	return int64(v * mult), nil
}
