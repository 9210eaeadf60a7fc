package webdriver

import (
	"context"
	"errors"
)

// Contract placeholders, replaced by classic.go (h/wd-classic: startClassic,
// shutdownShared) and bidi.go (h/wd-bidi: startBiDi). Each owner deletes its
// functions from this file; the last one deletes the file.

func startBiDi(ctx context.Context, o Options) (Browser, error) {
	return nil, errors.New("webdriver: BiDi is not written yet")
}
