//go:build !js

package idbstore

import (
	"reflect"
	"testing"

	"yunxin/internal/jx/jxgen"
)

// TestJXGen checks jx_gen.go, the jx tables of the cache's record shapes
// (JXGEN=write go test -run TestJXGen ./idbstore rewrites it). It runs
// natively: the browser has no files to compare.
func TestJXGen(t *testing.T) {
	jxgen.Check(t, "jx_gen.go",
		reflect.TypeFor[wireMerged](),
		reflect.TypeFor[sessionSeqs](),
	)
}
