package main

import (
	"bytes"
	"compress/gzip"
	"io"
	"strings"
	"testing"

	"github.com/andybalholm/brotli"
)

func TestCompressRoundTrip(t *testing.T) {
	data := []byte(strings.Repeat("yunxinIM for the web ", 5000))
	gz, br, err := compress(data)
	if err != nil {
		t.Fatal(err)
	}
	if len(br) >= len(data)/10 || len(gz) >= len(data)/10 {
		t.Errorf("poor compression: gz %d br %d of %d", len(gz), len(br), len(data))
	}
	gr, err := gzip.NewReader(bytes.NewReader(gz))
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := io.ReadAll(gr); !bytes.Equal(got, data) {
		t.Error("gzip round trip differs")
	}
	if got, _ := io.ReadAll(brotli.NewReader(bytes.NewReader(br))); !bytes.Equal(got, data) {
		t.Error("brotli round trip differs")
	}
}
