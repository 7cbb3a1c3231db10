package files

import (
	"bufio"
	"context"
	"crypto/rand"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"github.com/signalr-go/signalr/chat/store"
)

// DefaultMaxBytes is the default size limit of one upload: 10 MiB.
const DefaultMaxBytes = 10 << 20

// Config is what the handler needs from the rest of the application.
type Config struct {
	// Dir holds the files' bytes, one file per id.
	Dir string
	// MaxBytes bounds one upload. Default DefaultMaxBytes.
	MaxBytes int64
	// Store keeps the files' metadata and room memberships.
	Store *store.Store
	// Post announces an uploaded file in its room.
	Post func(ctx context.Context, m store.Message) (store.Message, error)
	// Authenticate returns the user of a request: id and name. An error
	// answers 401.
	Authenticate func(r *http.Request) (userID, name string, err error)
	// Quota bounds the total bytes of the files one user shared, counted
	// in the store. Default: no bound.
	Quota int64
	// Admit, when set, may refuse an upload before it is read (a rate
	// limit, too many at once): it answers the request itself and
	// returns false. When it admits one, done is called once the upload
	// ended, however it ended.
	Admit func(w http.ResponseWriter, r *http.Request, userID string) (done func(), ok bool)
	// Logger receives diagnostics. Default slog.Default().
	Logger *slog.Logger
}

// Handler serves
//
//	POST /api/rooms/{room}/files   multipart form, field "file"
//	GET  /api/rooms/{room}/files   the room's newest files and the size limit
//	GET  /api/files/{id}/{name}
//
// Mount it on "/api/".
type Handler struct {
	cfg Config
	mux *http.ServeMux
}

// New returns the handler, creating cfg.Dir if needed.
func New(cfg Config) (*Handler, error) {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultMaxBytes
	}
	if cfg.Logger == nil {
		cfg.Logger = slog.Default()
	}
	if cfg.Quota <= 0 {
		cfg.Quota = math.MaxInt64
	}
	if err := os.MkdirAll(cfg.Dir, 0o700); err != nil {
		return nil, fmt.Errorf("files: %w", err)
	}
	h := &Handler{cfg: cfg, mux: http.NewServeMux()}
	h.mux.HandleFunc("POST /api/rooms/{room}/files", h.upload)
	h.mux.HandleFunc("GET /api/rooms/{room}/files", h.list)
	h.mux.HandleFunc("GET /api/files/{id}/{name}", h.download)
	h.mux.HandleFunc("GET /api/files/{id}", h.download)
	return h, nil
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// ListLimit bounds how many files one listing returns.
const ListLimit = 200

// Listing is the answer to a room's file list: the newest files first,
// and the size limit of an upload, so that a page can refuse a file
// before sending any of it.
type Listing struct {
	MaxBytes int64        `json:"maxBytes"`
	Files    []store.File `json:"files"`
}

// member returns who asks and the room of the request's path, after
// answering the request itself if they are not signed in or not a member
// of that room (ok false).
func (h *Handler) member(w http.ResponseWriter, r *http.Request) (userID, name string, roomID int64, ok bool) {
	userID, name, err := h.cfg.Authenticate(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return "", "", 0, false
	}
	roomID, err = strconv.ParseInt(r.PathValue("room"), 10, 64)
	if err != nil {
		http.Error(w, "bad room id", http.StatusBadRequest)
		return "", "", 0, false
	}
	if ok, err := h.cfg.Store.IsMember(r.Context(), roomID, userID); err != nil || !ok {
		h.refuse(w, err, http.StatusForbidden, "you are not a member of this room")
		return "", "", 0, false
	}
	return userID, name, roomID, true
}

func (h *Handler) list(w http.ResponseWriter, r *http.Request) {
	_, _, roomID, ok := h.member(w, r)
	if !ok {
		return
	}
	fs, err := h.cfg.Store.RoomFiles(r.Context(), roomID, ListLimit)
	if err != nil {
		h.refuse(w, err, 0, "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	json.NewEncoder(w).Encode(Listing{MaxBytes: h.cfg.MaxBytes, Files: fs})
}

// uploadRate is the slowest upload, in bytes per second, that the
// extended read deadline allows for a file of the largest size.
const uploadRate = 32 << 10

// errTooLarge reports an upload over the limit.
var errTooLarge = errors.New("files: too large")

func (h *Handler) upload(w http.ResponseWriter, r *http.Request) {
	userID, name, roomID, ok := h.member(w, r)
	if !ok {
		return
	}
	if h.cfg.Admit != nil {
		done, ok := h.cfg.Admit(w, r, userID)
		if !ok {
			return
		}
		defer done()
	}
	used, err := h.cfg.Store.UploadedBytes(r.Context(), userID)
	if err != nil {
		h.refuse(w, err, 0, "")
		return
	}
	// Never write more than the quota leaves; the store checks it again,
	// exactly, against uploads that run meanwhile.
	limit := min(h.cfg.MaxBytes, h.cfg.Quota-used)
	if limit <= 0 {
		h.overQuota(w, used)
		return
	}
	// The form's own overhead is small; the file part is counted exactly.
	r.Body = http.MaxBytesReader(w, r.Body, limit+64<<10)
	// A signed-in member's upload may take longer than the server's read
	// timeout, which is meant for strangers: as long as the largest file
	// takes at uploadRate, plus a minute.
	http.NewResponseController(w).SetReadDeadline(time.Now().Add(time.Minute + time.Duration(h.cfg.MaxBytes/uploadRate)*time.Second))
	f, err := h.receive(r, roomID, userID, limit)
	if errors.Is(err, errTooLarge) && limit < h.cfg.MaxBytes {
		h.overQuota(w, used)
		return
	}
	if errors.Is(err, errTooLarge) {
		http.Error(w, fmt.Sprintf("a file has at most %d bytes", h.cfg.MaxBytes), http.StatusRequestEntityTooLarge)
		return
	}
	if err != nil {
		http.Error(w, "bad upload: "+err.Error(), http.StatusBadRequest)
		return
	}
	stored, err := h.cfg.Store.AddFileWithin(r.Context(), f, h.cfg.Quota)
	if err != nil {
		os.Remove(filepath.Join(h.cfg.Dir, f.ID))
		if errors.Is(err, store.ErrQuota) {
			h.overQuota(w, used)
			return
		}
		h.refuse(w, err, 0, "")
		return
	}
	m, err := h.cfg.Post(r.Context(), store.Message{RoomID: roomID, UserID: userID, UserName: name, File: &stored})
	if err != nil {
		h.refuse(w, err, 0, "")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	json.NewEncoder(w).Encode(m)
}

// overQuota answers an upload that would take its user over the quota.
// It is 413, not 429: waiting does not help, only fewer bytes do.
func (h *Handler) overQuota(w http.ResponseWriter, used int64) {
	http.Error(w, fmt.Sprintf("upload quota exceeded: you have shared %d of your %d bytes", used, h.cfg.Quota), http.StatusRequestEntityTooLarge)
}

// receive stores the "file" part of a multipart upload, of at most limit
// bytes, and returns its metadata (not yet in the database).
func (h *Handler) receive(r *http.Request, roomID int64, userID string, limit int64) (store.File, error) {
	mr, err := r.MultipartReader()
	if err != nil {
		return store.File{}, err
	}
	for {
		part, err := mr.NextPart()
		if err != nil {
			return store.File{}, fmt.Errorf("no file part: %w", err)
		}
		if part.FormName() != "file" {
			continue
		}
		f := store.File{ID: rand.Text(), RoomID: roomID, UserID: userID, Name: cleanName(part.FileName())}
		f.Size, f.ContentType, err = h.save(f.ID, part, limit)
		return f, err
	}
}

// save writes one file of at most limit bytes under its id and returns
// its size and safe type.
func (h *Handler) save(id string, src io.Reader, limit int64) (int64, string, error) {
	tmp, err := os.CreateTemp(h.cfg.Dir, "upload-*")
	if err != nil {
		return 0, "", err
	}
	defer os.Remove(tmp.Name()) // after the rename, a no-op
	defer tmp.Close()
	br := bufio.NewReaderSize(io.LimitReader(src, limit+1), 512)
	head, _ := br.Peek(512)
	typ := safeType(head)
	n, err := io.Copy(tmp, br)
	if err != nil {
		return 0, "", err
	}
	if n > limit {
		return 0, "", errTooLarge
	}
	if err := tmp.Close(); err != nil {
		return 0, "", err
	}
	if err := os.Rename(tmp.Name(), filepath.Join(h.cfg.Dir, id)); err != nil {
		return 0, "", err
	}
	return n, typ, nil
}

func (h *Handler) download(w http.ResponseWriter, r *http.Request) {
	userID, _, err := h.cfg.Authenticate(r)
	if err != nil {
		http.Error(w, "sign in first", http.StatusUnauthorized)
		return
	}
	f, err := h.cfg.Store.File(r.Context(), r.PathValue("id"))
	if errors.Is(err, store.ErrNotFound) {
		http.NotFound(w, r)
		return
	}
	if err != nil {
		h.refuse(w, err, 0, "")
		return
	}
	// Answer a non-member like a missing file: ids are not to be probed.
	if ok, err := h.cfg.Store.IsMember(r.Context(), f.RoomID, userID); err != nil || !ok {
		h.refuse(w, err, http.StatusNotFound, "404 page not found")
		return
	}
	data, err := os.Open(filepath.Join(h.cfg.Dir, f.ID))
	if err != nil {
		h.refuse(w, err, 0, "")
		return
	}
	defer data.Close()
	setDownloadHeaders(w.Header(), f.Name, f.ContentType)
	http.ServeContent(w, r, "", time.UnixMilli(f.At), data)
}

// refuse answers an internal error with 500 (logged), or else the given
// status and text.
func (h *Handler) refuse(w http.ResponseWriter, err error, status int, text string) {
	if err != nil {
		h.cfg.Logger.Error("chat: files", "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	http.Error(w, text, status)
}
