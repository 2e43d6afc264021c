package telegram

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"path"
	"strings"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"

	"github.com/voronka/voronka/crm"
)

// maxMediaBytes is the most a relayed file may weigh: the Bot API's
// getFile serves files up to 20 MB.
const maxMediaBytes = 20 << 20

// Media fetches what customers sent (photos, documents, voice notes) by
// file id, for relaying to the team (crm.MediaSource).
type Media struct {
	api *API
	// files is the file download URL with %s for the token and the
	// path, derived from the API endpoint (v5.5.1's own FileEndpoint is
	// a constant that always points at api.telegram.org).
	files string
	hc    *http.Client
}

var _ crm.MediaSource = (*Media)(nil)

// NewMedia returns the media source of api, whose endpoint (as given to
// NewAPI, "" for Telegram) it downloads from; hc nil means the API's own
// client.
func NewMedia(api *API, endpoint string, hc *http.Client) *Media {
	files := tgbotapi.FileEndpoint
	if endpoint != "" {
		files = strings.Replace(endpoint, "/bot%s/%s", "/file/bot%s/%s", 1)
	}
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &Media{api: api, files: files, hc: hc}
}

// Media implements crm.MediaSource: getFile, then the download.
func (m *Media) Media(ctx context.Context, msg *crm.Message) ([]byte, string, error) {
	f, err := withContext(ctx, m.api.bot).GetFile(tgbotapi.FileConfig{FileID: msg.Media})
	if err != nil {
		return nil, "", fmt.Errorf("telegram: get file: %w", scrub(err, m.api.bot.Token))
	}
	if f.FileSize > maxMediaBytes {
		return nil, "", crm.Errorf(crm.EINVALID, "the file is over 20 MB")
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, fmt.Sprintf(m.files, m.api.bot.Token, f.FilePath), nil)
	if err != nil {
		return nil, "", fmt.Errorf("telegram: download file: %w", scrub(err, m.api.bot.Token))
	}
	resp, err := m.hc.Do(req)
	if err != nil {
		return nil, "", fmt.Errorf("telegram: download file: %w", scrub(err, m.api.bot.Token))
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, "", fmt.Errorf("telegram: download file: status %d", resp.StatusCode)
	}
	data, err := io.ReadAll(io.LimitReader(resp.Body, maxMediaBytes+1))
	if err != nil {
		return nil, "", fmt.Errorf("telegram: download file: %w", err)
	}
	if len(data) > maxMediaBytes {
		return nil, "", crm.Errorf(crm.EINVALID, "the file is over 20 MB")
	}
	return data, path.Base(f.FilePath), nil
}
