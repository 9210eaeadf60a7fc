package main

import (
	"math/rand/v2"
	"net/url"
	"strings"
	"testing"
)

// netURLName is what urlName computed with net/url before it was written by
// hand: the reference the test holds it to.
func netURLName(path string) string {
	u, err := url.Parse(path)
	if err != nil || u.Scheme == "blob" || u.Scheme == "data" {
		return ""
	}
	p := u.Path
	if i := strings.LastIndexByte(p, '/'); i >= 0 {
		p = p[i+1:]
	}
	return p
}

// TestURLNameMatchesNetURL: on hand-picked URLs and on random strings made of
// URL-ish pieces, urlName agrees with net/url (authorities are kept valid:
// urlName does not check them, see its comment).
func TestURLNameMatchesNetURL(t *testing.T) {
	cases := []string{
		"https://example.com/a/b/photo.JPG", "http://h/x%20y.png?q=1#frag", "https://h/dir/", "https://h",
		"blob:https://h/0b1e-uuid", "data:image/png;base64,AAAA", "BLOB:https://h/x", "mailto:a@b.c",
		"relative/name.txt", "/abs/file.mp3", "name.mp4", "a:b/c", "1http://h/x", ":nope", "",
		"https://h/bad%zzescape.jpg", "https://h/ok.jpg#bad%z", "https://h/a\x01b.jpg", "https://h/a\x7f.jpg",
		"https://h/a+b.jpg", "https://h/%2F%2e.jpg", "///triple/slash.png", "//host/p.gif", "https://h/a?b/c.jpg",
		"https://h/a?", "https://h/a??", "*", "file:///C:/x/y.wav", "HTTPS://H/UP.PNG", "x-y.z+w:/p/q.bin",
		"https://h/é%C3%A9.jpg", "https://user:pw@h:8080/p/q.jpg", "https://[::1]:80/v6.png", "?only=query", "#only",
	}
	for _, c := range cases {
		if got, want := urlName(c), netURLName(c); got != want {
			t.Errorf("urlName(%q) = %q, net/url %q", c, got, want)
		}
	}
	pieces := []string{"https:", "http:", "blob:", "data:", "x:", ":", "//h", "//h:80", "/", "///", "a", "b.jpg",
		"%41", "%", "%4", "%zz", "?", "?q=%zz", "#", "#%zz", "+", ".", "-", "1", "\x01", "é", " ", "A", "mailto:"}
	r := rand.New(rand.NewPCG(1, 2))
	for i := 0; i < 20000; i++ {
		var b strings.Builder
		for n := r.IntN(7); n >= 0; n-- {
			b.WriteString(pieces[r.IntN(len(pieces))])
		}
		c := b.String()
		if badAuthority(c) {
			continue // urlName does not check authorities
		}
		if got, want := urlName(c), netURLName(c); got != want {
			t.Fatalf("urlName(%q) = %q, net/url %q", c, got, want)
		}
	}
}

// badAuthority reports whether c has an authority ("//host…") that net/url
// rejects on its own.
func badAuthority(c string) bool {
	_, rest, ok := strings.Cut(c, "//")
	if !ok {
		return false
	}
	rest, _, _ = strings.Cut(rest, "#")
	rest, _, _ = strings.Cut(rest, "?")
	auth, _, _ := strings.Cut(rest, "/")
	_, err := url.Parse("http://" + auth + "/")
	return err != nil
}
