package netem

import "testing"

func TestParseRate(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{"", 0, true},
		{"1000", 1000, true},
		{"100Mbit", 12_500_000, true},
		{"8kbit", 1000, true},
		{"1Gbit", 125_000_000, true},
		{"10MB", 10_000_000, true},
		{"2kb", 2000, true},
		{"1e6", 1_000_000, true},
		{"80bit", 10, true},
		{"fast", 0, false},
		{"-5MB", 0, false},
	} {
		got, err := ParseRate(tc.in)
		if (err == nil) != tc.ok || got != tc.want {
			t.Errorf("ParseRate(%q) = %d, %v; want %d, ok=%v", tc.in, got, err, tc.want, tc.ok)
		}
	}
}
