package jsapi

import (
	_ "embed"
	"strings"
	"testing"

	"yunxin/core"
)

// methodsTxt is the plugin doc's method list, kept in the repository
// (testdata/methods.txt, a copy of the spec's methods.txt) and embedded, so
// the check runs in every clone and in the browser, which has no files.
//
//go:embed testdata/methods.txt
var methodsTxt string

// specMethods returns the 100 method names of methods.txt, in order.
func specMethods(t *testing.T) []string {
	t.Helper()
	var names []string
	for _, line := range strings.Split(methodsTxt, "\n") {
		if line = strings.TrimSpace(line); line == "" || line[0] == '#' {
			continue
		}
		_, group, ok := strings.Cut(line, ":")
		if !ok {
			t.Fatalf("methods.txt: bad line %q", line)
		}
		names = append(names, strings.Fields(group)...)
	}
	if len(names) != 100 {
		t.Fatalf("methods.txt has %d names, want 100", len(names))
	}
	return names
}

// TestMethodsMatchSpec compares the Go list with the spec's methods.txt.
// (wasm's TestLoaderMethods compares the loader's list with the Go one.)
func TestMethodsMatchSpec(t *testing.T) {
	want := specMethods(t)
	if got := PluginMethods(); strings.Join(got, " ") != strings.Join(want, " ") {
		t.Errorf("PluginMethods differs from methods.txt:\n got %v\nwant %v", got, want)
	}
}

// TestListenerMethods: every listener method is a plugin method the table
// answers (in case a call reaches Go), of a kind core emits.
func TestListenerMethods(t *testing.T) {
	methods := map[string]bool{}
	for _, m := range PluginMethods() {
		methods[m] = true
	}
	kinds := map[string]bool{}
	for name, l := range listenerMethods {
		if !methods[name] || !Supported(name) {
			t.Errorf("listener method %s is not a supported plugin method", name)
		}
		if l.Add != strings.HasPrefix(name, "add") || !strings.HasSuffix(name, "Listen") {
			t.Errorf("listener method %s: %+v", name, l)
		}
		if ListenerKind(name) != l.Kind {
			t.Errorf("ListenerKind(%s) = %q", name, ListenerKind(name))
		}
		kinds[l.Kind] = true
	}
	if len(kinds) != 6 || !kinds[core.EventAccount] || !kinds[core.EventMessage] || !kinds[core.EventSession] ||
		!kinds[core.EventFriend] || !kinds[core.EventNotification] || !kinds[core.EventTeam] {
		t.Errorf("listener kinds %v", kinds)
	}
	if ListenerKind("login") != "" {
		t.Error("login is not a listener method")
	}
}
