package idbstore

// The records' JSON shapes. They are here, outside the _js.go files, so
// that jxgen (TestJXGen, a native test) reaches them.

// keyRec is a meta or session record.
type keyRec struct {
	K string `json:"k"`
	J string `json:"j"`
}

// domainRec is a records-store record: its key [kind, key], its ver, the
// tombstone flag and its Data as the JSON text j.
type domainRec struct {
	Kind string `json:"kind"`
	Key  string `json:"key"`
	V    int64  `json:"v,omitempty"`
	Del  bool   `json:"del,omitempty"`
	J    string `json:"j"`
}

// wireMerged are the writes made after reading: sessions and meta merged
// with the stored ones, and the records that are newer than the stored ones.
type wireMerged struct {
	Sessions []keyRec    `json:"s"`
	Meta     *keyRec     `json:"meta,omitempty"`
	Records  []domainRec `json:"r"`
}

// sessionSeqs is the part of a stored session record Apply reads before
// merging: its clear point and sync position.
type sessionSeqs struct {
	ClearedTo int64   `json:"clearTo"`
	SyncSeq   int64   `json:"sync"`
	Ahead     []int64 `json:"ahead"`
}
