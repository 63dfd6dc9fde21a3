package vfs

// WaitReadAhead returns when no read-ahead listing is queued or on the
// wire (readahead.go).
func (f *FS) WaitReadAhead() { f.waitReadAhead() }
