module github.com/hack-pad/go-indexeddb

go 1.18

require github.com/hack-pad/safejs v0.1.0
