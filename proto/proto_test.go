package proto

import (
	"fmt"
	"strings"
	"testing"
	"time"
)

func TestTextProblem(t *testing.T) {
	for _, tc := range []struct {
		text, want string
	}{
		{"hi", ""},
		{" hi ", ""},
		{strings.Repeat("你", MaxTextRunes), ""},
		{"", "must not be empty"},
		{" \t\n\u3000", "must not be blank (whitespace only)"},
		{strings.Repeat("你", MaxTextRunes+1), "must be at most 5000 characters"},
	} {
		if got := TextProblem(tc.text); got != tc.want {
			t.Errorf("TextProblem(%.20q) = %q, want %q", tc.text, got, tc.want)
		}
	}
}

func TestP2P(t *testing.T) {
	if a, b := P2PConv("bob", "alice"), P2PConv("alice", "bob"); a != b || a != "p:alice|bob" {
		t.Fatalf("P2PConv: %q %q", a, b)
	}
	for _, tc := range []struct{ conv, me, want string }{
		{"p:alice|bob", "alice", "bob"},
		{"p:alice|bob", "bob", "alice"},
		{"p:alice|alice", "alice", "alice"},
		{"p:alice|bob", "carol", ""},
		{"t:123", "alice", ""},
	} {
		if got := P2PPeer(tc.conv, tc.me); got != tc.want {
			t.Errorf("P2PPeer(%q, %q) = %q, want %q", tc.conv, tc.me, got, tc.want)
		}
	}
}

// TestValidBirthMatchesTime: validBirth agrees with time.Parse and Format
// on every day of 1999-2001 and 1900 (leap-year edges) and on malformed
// strings.
func TestValidBirthMatchesTime(t *testing.T) {
	check := func(s string) {
		p, err := time.Parse("2006-01-02", s)
		want := err == nil && p.Format("2006-01-02") == s
		if got := validBirth(s); got != want {
			t.Errorf("validBirth(%q) = %v, want %v", s, got, want)
		}
	}
	for _, y := range []int{1900, 1999, 2000, 2001} {
		for m := 0; m <= 13; m++ {
			for d := 0; d <= 32; d++ {
				check(fmt.Sprintf("%04d-%02d-%02d", y, m, d))
			}
		}
	}
	for _, s := range []string{"", "2000-1-01", "2000-01-1", "2000/01/01", "20000-01-01", "2000-01-01 ", "+200-01-01", "2000-0a-01", "0000-01-01", "9999-12-31"} {
		check(s)
	}
}
