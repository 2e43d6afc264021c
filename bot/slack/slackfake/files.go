package slackfake

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"strings"
)

// Upload is a file shared through Slack's three-step upload:
// files.getUploadURLExternal, a POST of the bytes to the URL it gave, and
// files.completeUploadExternal, which shares it in a channel.
type Upload struct {
	FileID   string
	Filename string
	Title    string
	// Channel is where completeUploadExternal shared it; "" until then.
	Channel string
	// ThreadTS is the thread it was shared in (thread_ts), "" for none.
	ThreadTS string
	Comment  string // initial_comment
	Data     []byte
	// Length is what getUploadURLExternal was told the file would be.
	Length string
}

type fileStore struct {
	byID  map[string]*Upload
	order []string
}

// store returns the file store, made on first use. The caller holds mu.
func (s *Server) store() *fileStore {
	if s.files == nil {
		s.files = &fileStore{byID: map[string]*Upload{}}
	}
	return s.files
}

// Uploads is every file shared in a channel (completed uploads), in order.
func (s *Server) Uploads() []Upload {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Upload
	for _, id := range s.store().order {
		if u := s.files.byID[id]; u.Channel != "" {
			c := *u
			c.Data = append([]byte(nil), u.Data...)
			out = append(out, c)
		}
	}
	return out
}

// uploadPath is where the server takes a file's bytes, on the API's own
// host (slack-go sends the token only there or to slack.com).
const uploadPath = "/upload/"

// serveUpload takes the bytes of a file at the URL files.getUploadURLExternal
// gave, a multipart form with the file in the "file" field as slack-go
// sends it. It reports whether the request was one.
func (s *Server) serveUpload(w http.ResponseWriter, r *http.Request) bool {
	id, ok := strings.CutPrefix(r.URL.Path, uploadPath)
	if !ok {
		return false
	}
	if r.Method != http.MethodPost {
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
		return true
	}
	if err := r.ParseMultipartForm(32 << 20); err != nil {
		http.Error(w, "bad upload", http.StatusBadRequest)
		return true
	}
	f, _, err := r.FormFile("file")
	if err != nil {
		http.Error(w, "no file", http.StatusBadRequest)
		return true
	}
	data, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		http.Error(w, "bad upload", http.StatusBadRequest)
		return true
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	u := s.store().byID[id]
	if u == nil {
		http.Error(w, "unknown upload", http.StatusNotFound)
		return true
	}
	u.Data = data
	w.WriteHeader(http.StatusOK)
	_, _ = fmt.Fprintf(w, "OK - %d", len(data))
	return true
}

// answerFiles answers conversations.open and the upload methods; any other
// method is unknown. The caller holds mu.
func (s *Server) answerFiles(call *Call) (map[string]any, string) {
	p := call.Params
	switch call.Method {
	case "conversations.open":
		users := p["users"]
		if users == "" || strings.Contains(users, ",") {
			return nil, "invalid_arguments"
		}
		call.User, call.ChannelID = users, "D"+users
		return map[string]any{"channel": map[string]any{"id": call.ChannelID}}, ""
	case "files.getUploadURLExternal":
		if p["filename"] == "" || p["length"] == "" || p["length"] == "0" {
			return nil, "invalid_arguments"
		}
		s.seq++
		id := fmt.Sprintf("F%08d", s.seq)
		st := s.store()
		st.byID[id] = &Upload{FileID: id, Filename: p["filename"], Length: p["length"]}
		st.order = append(st.order, id)
		return map[string]any{"file_id": id, "upload_url": s.srv.URL + uploadPath + id}, ""
	case "files.completeUploadExternal":
		var files []struct {
			ID    string `json:"id"`
			Title string `json:"title"`
		}
		if err := json.Unmarshal([]byte(p["files"]), &files); err != nil || len(files) == 0 {
			return nil, "invalid_arguments"
		}
		channel := p["channel_id"]
		if channel == "" {
			channel = p["channels"]
		}
		var done []map[string]any
		for _, f := range files {
			u := s.store().byID[f.ID]
			if u == nil || u.Data == nil {
				return nil, "file_not_found"
			}
			if fmt.Sprint(len(u.Data)) != u.Length {
				return nil, "file_size_mismatch"
			}
			u.Title, u.Channel, u.Comment, u.ThreadTS = f.Title, channel, p["initial_comment"], p["thread_ts"]
			done = append(done, map[string]any{"id": u.FileID, "title": u.Title})
		}
		call.Channel, call.ChannelID, call.Text = channel, channel, p["initial_comment"]
		return map[string]any{"files": done}, ""
	default:
		return nil, "unknown_method"
	}
}
