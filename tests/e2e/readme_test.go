package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"yunxin/jsapi"
)

// TestREADMEMethodLists: the README's "Implemented" list (and its "Not
// yet implemented" one while any method is missing) name exactly the
// methods jsapi's table supports and leaves unsupported, so the README
// cannot fall behind the code.
func TestREADMEMethodLists(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join(repoRoot, "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	readme := string(raw)
	section := func(start, end string) []string {
		t.Helper()
		i := strings.Index(readme, start)
		if i < 0 {
			t.Fatalf("README.md has no %q", start)
		}
		rest := readme[i+len(start):]
		if j := strings.Index(rest, end); j >= 0 {
			rest = rest[:j]
		}
		var names []string
		for _, m := range regexp.MustCompile("`([A-Za-z]+)`").FindAllStringSubmatch(rest, -1) {
			names = append(names, m[1])
		}
		slices.Sort(names)
		return slices.Compact(names)
	}
	var supported, unsupported []string
	for _, m := range jsapi.Methods() {
		if jsapi.Supported(m) {
			supported = append(supported, m)
		} else {
			unsupported = append(unsupported, m)
		}
	}
	slices.Sort(supported)
	slices.Sort(unsupported)
	// Every method is implemented now: the README says so, and lists none
	// as missing. A method taken out of the table (unsupported again) must
	// come back to the README as a "Not yet implemented" list.
	if len(unsupported) == 0 {
		if !strings.Contains(readme, "- All 100 of the plugin's methods are implemented") {
			t.Errorf("README does not say that every method is implemented")
		}
	} else {
		notYet := section("- Not yet implemented:", "  Implemented:")
		if !slices.Equal(notYet, unsupported) {
			t.Errorf("README's not-yet-implemented list differs from jsapi:\n README %v\n  jsapi %v", notYet, unsupported)
		}
		if !strings.Contains(readme, "these "+strconv.Itoa(len(unsupported))+" of the plugin's") {
			t.Errorf("README does not say there are %d methods not implemented yet", len(unsupported))
		}
	}
	done := section("  Implemented:", "\n\n")
	if !slices.Equal(done, supported) {
		t.Errorf("README's implemented list differs from jsapi:\n README %v\n  jsapi %v", done, supported)
	}
}
