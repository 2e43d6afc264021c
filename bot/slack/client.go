package slack

import (
	"net"
	"net/http"
	"strings"
	"time"

	slackapi "github.com/slack-go/slack"
)

// Timeouts of the default HTTP client: slack-go's own default is
// http.DefaultClient, which waits forever on a stalled connection and would
// hold a job worker (or an interaction past Slack's 3 seconds) with it.
const (
	clientTimeout = 15 * time.Second
	dialTimeout   = 5 * time.Second
)

// NewClient returns a Web API client for token. apiURL empty means Slack
// itself (slackapi.APIURL); tests and SLACK_API_URL point it elsewhere. A
// missing trailing slash is added, because slack-go joins the base URL and
// the method name without one and would otherwise call ".../apichat.postMessage".
// hc nil means a client with dial and overall timeouts.
func NewClient(token, apiURL string, hc *http.Client) *Client {
	if apiURL == "" {
		apiURL = slackapi.APIURL
	}
	if !strings.HasSuffix(apiURL, "/") {
		apiURL += "/"
	}
	if hc == nil {
		hc = defaultHTTPClient()
	}
	return &Client{api: slackapi.New(token, slackapi.OptionAPIURL(apiURL), slackapi.OptionHTTPClient(hc))}
}

// Client is a connection to Slack's Web API. slack-go stays inside this
// package: callers hold a Client and hand it to NewNotifier,
// NewInteractions, NewCommands and PostTeam.
type Client struct{ api *slackapi.Client }

func defaultHTTPClient() *http.Client {
	transport, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		transport = transport.Clone()
	} else {
		transport = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	transport.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = dialTimeout
	return &http.Client{Transport: transport, Timeout: clientTimeout}
}

// lib is slack-go's client, nil for a nil Client (no Slack: no files).
func (c *Client) lib() *slackapi.Client {
	if c == nil {
		return nil
	}
	return c.api
}
