package main

import (
	"net/http"
	"time"

	"github.com/voronka/voronka/crm"
)

// slackNotifier is the Slack sales channel, nil when Slack is not
// configured.
func (a *App) slackNotifier(tz *time.Location) (crm.SalesNotifier, error) {
	return nil, nil
}

// slackRoutes mounts the Slack endpoints when Slack is configured.
func (a *App) slackRoutes(mux *http.ServeMux) {}
