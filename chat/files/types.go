package files

import (
	"mime"
	"net/http"
	"strings"

	"golang.org/x/text/unicode/norm"

	"github.com/signalr-go/signalr/chat/names"
)

// previewTypes are the content types served as themselves, for image
// previews. SVG is not among them: it can carry script.
var previewTypes = map[string]bool{
	"image/png":  true,
	"image/jpeg": true,
	"image/gif":  true,
	"image/webp": true,
}

// safeType returns the type a file with these first bytes is served as.
func safeType(head []byte) string {
	t := http.DetectContentType(head)
	if previewTypes[t] {
		return t
	}
	return "application/octet-stream"
}

// IsPreview reports whether files of the content type are shown inline.
func IsPreview(contentType string) bool { return previewTypes[contentType] }

// downloadCSP allows a downloaded document nothing but its own image.
const downloadCSP = "default-src 'none'; img-src 'self'; style-src 'unsafe-inline'; sandbox"

// setDownloadHeaders sets the headers that make a download harmless.
func setDownloadHeaders(h http.Header, name, contentType string) {
	disposition := "attachment"
	if IsPreview(contentType) {
		disposition = "inline"
	}
	h.Set("Content-Type", contentType)
	h.Set("Content-Disposition", mime.FormatMediaType(disposition, map[string]string{"filename": cleanName(name)}))
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Content-Security-Policy", downloadCSP)
	h.Set("Cross-Origin-Resource-Policy", "same-origin")
	h.Set("Cache-Control", "private, max-age=3600")
}

// cleanName keeps the base name of a client's file name, without control,
// zero-width or direction-changing characters (a U+202E would show
// "evil\u202Etxt.exe" as "evilexe.txt"), at most 200 bytes long.
func cleanName(name string) string {
	if i := strings.LastIndexAny(name, `/\`); i >= 0 {
		name = name[i+1:]
	}
	name = strings.TrimSpace(names.StripInvisible(norm.NFC.String(name)))
	for len(name) > 200 {
		_, size := lastRune(name)
		name = name[:len(name)-size]
	}
	if name == "" || name == "." || name == ".." {
		return "file"
	}
	return name
}

func lastRune(s string) (rune, int) {
	for i := len(s) - 1; i >= 0; i-- {
		if s[i]&0xC0 != 0x80 {
			return rune(s[i]), len(s) - i
		}
	}
	return 0, 1
}
