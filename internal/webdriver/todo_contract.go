package webdriver

import (
	"context"
	"errors"
)

// Contract placeholders, replaced by classic.go (h/wd-classic: startClassic,
// shutdownShared) and bidi.go (h/wd-bidi: startBiDi). Each owner deletes its
// functions from this file; the last one deletes the file.

func startClassic(ctx context.Context, e Engine, o Options) (Browser, error) {
	return nil, errors.New("webdriver: classic WebDriver is not written yet")
}

func shutdownShared() {}
