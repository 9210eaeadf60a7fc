//go:build !js

package core

import "crypto/rand"

// Natively the random source is the operating system's, through crypto/rand.
func init() {
	SetRandomSource(func(b []byte) error {
		_, err := rand.Read(b)
		return err
	})
}
