package proto

import (
	"strings"
	"testing"
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
