package files

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
)

// Remove deletes the stored bytes of a file (its metadata is the store's
// business); a file already gone is not an error. The id is one the
// store returned, never a client's.
func (h *Handler) Remove(id string) error {
	if id == "" || filepath.Base(id) != id || id == "." || id == ".." {
		return fmt.Errorf("files: remove: bad id %q", id)
	}
	if err := os.Remove(filepath.Join(h.cfg.Dir, id)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("files: remove: %w", err)
	}
	return nil
}
