// Package headless holds how this project starts headless Chromium for its
// browser tests (tools/wasmbrowser and tests/e2e): one list of flags, the
// ones this machine needs (see ../shared/notes/browser-wasm.md).
package headless

import "github.com/chromedp/chromedp"

// Options returns the allocator options for a headless Chromium at execPath
// with its own profile directory (a separate profile is a separate
// IndexedDB, a separate "device").
func Options(execPath, profile string) []chromedp.ExecAllocatorOption {
	opts := []chromedp.ExecAllocatorOption{chromedp.ExecPath(execPath), chromedp.UserDataDir(profile)}
	for _, f := range []string{"headless", "no-sandbox", "disable-gpu", "disable-quic", "no-first-run",
		"no-default-browser-check", "disable-background-networking", "disable-component-update",
		"disable-sync", "disable-dev-shm-usage", "disable-extensions", "disable-breakpad",
		"disable-background-timer-throttling", "disable-backgrounding-occluded-windows",
		"disable-renderer-backgrounding", "mute-audio"} {
		opts = append(opts, chromedp.Flag(f, true))
	}
	return append(opts, chromedp.Flag("password-store", "basic"))
}
