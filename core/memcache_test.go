package core_test

import (
	"testing"

	"yunxin/core"
	"yunxin/core/cachetest"
)

func TestMemCache(t *testing.T) {
	cachetest.CacheSuite(t, func(t *testing.T) core.Cache { return core.NewMemCache() })
}
