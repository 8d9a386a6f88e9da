// Package filedigest identifies a version of a set of files by their
// content, for the proxy's reloaders (the credentials file, the HTTPS
// certificate, key and client CA, the SASL password file).
//
// Content, not modification time and size: a file rewritten with the same
// size within one tick of the file system's coarse clock (a few
// milliseconds) keeps both, so a stamp of the two can miss a rotation for
// good. The files are small and read at most once a second, so reading them
// costs nothing that matters.
package filedigest

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"os"
)

// Digest is the SHA-256 of a set of files' contents.
type Digest [sha256.Size]byte

// Of reads the files at paths and returns the digest of their contents, in
// order; an empty path stands for an absent optional file. The error names
// the file that could not be read.
func Of(paths ...string) (Digest, error) {
	h := sha256.New()
	var n [8]byte
	for _, path := range paths {
		if path == "" {
			binary.BigEndian.PutUint64(n[:], 0)
			h.Write(n[:])
			continue
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return Digest{}, fmt.Errorf("read %s: %w", path, err)
		}
		// Each file's length first, so the boundary between two files is
		// part of what is hashed.
		binary.BigEndian.PutUint64(n[:], uint64(len(data))+1)
		h.Write(n[:])
		h.Write(data)
	}
	var d Digest
	h.Sum(d[:0])
	return d, nil
}
