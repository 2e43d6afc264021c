package telegram

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	tgbotapi "github.com/go-telegram-bot-api/telegram-bot-api/v5"
)

// Timeouts of the default HTTP client. The overall timeout must outlast the
// long poll (PollerOptions.Timeout, 25s by default) plus a slow answer.
const (
	clientTimeout       = 35 * time.Second
	dialTimeout         = 10 * time.Second
	tlsHandshakeTimeout = 10 * time.Second
	responseHeaderLimit = 35 * time.Second
)

// NewAPI connects to the Bot API at endpoint (tgbotapi.APIEndpoint when
// empty; a format such as "http://127.0.0.1:9000/bot%s/%s" for a test server
// or a local Bot API server) and checks the token with getMe.
//
// client nil means an http.Client with dial, TLS and overall timeouts, since
// the library's own default waits forever on a stalled connection. Errors
// never contain the token: the library puts it in request URLs, and URLs end
// up in *url.Error messages.
func NewAPI(token, endpoint string, client *http.Client) (*API, error) {
	if token == "" {
		return nil, errors.New("telegram: empty bot token")
	}
	if endpoint == "" {
		endpoint = tgbotapi.APIEndpoint
	}
	if client == nil {
		client = defaultHTTPClient()
	}
	api, err := tgbotapi.NewBotAPIWithClient(token, endpoint, client)
	if err != nil {
		return nil, fmt.Errorf("telegram: connect: %w", scrub(err, token))
	}
	return &API{bot: api}, nil
}

// API is a connection to the Bot API. go-telegram-bot-api stays inside
// this package: callers hold an API and hand it to NewSender, NewPoller
// and SetWebhook.
type API struct{ bot *tgbotapi.BotAPI }

// Username is the bot's @username, as getMe answered.
func (a *API) Username() string { return a.bot.Self.UserName }

func defaultHTTPClient() *http.Client {
	transport, ok := http.DefaultTransport.(*http.Transport)
	if ok {
		transport = transport.Clone()
	} else {
		transport = &http.Transport{Proxy: http.ProxyFromEnvironment, ForceAttemptHTTP2: true}
	}
	transport.DialContext = (&net.Dialer{Timeout: dialTimeout, KeepAlive: 30 * time.Second}).DialContext
	transport.TLSHandshakeTimeout = tlsHandshakeTimeout
	transport.ResponseHeaderTimeout = responseHeaderLimit
	transport.MaxIdleConnsPerHost = 32
	return &http.Client{Timeout: clientTimeout, Transport: transport}
}

// withContext returns a shallow copy of api whose HTTP requests carry ctx, so
// that cancelling ctx aborts a call in flight (a 25-second long poll, a send
// to a stalled connection). tgbotapi v5.5.1 builds its requests without a
// context; swapping the client on a copy is the one seam it offers. The copy
// shares nothing mutable with api.
func withContext(ctx context.Context, api *tgbotapi.BotAPI) *tgbotapi.BotAPI {
	c := *api
	c.Client = contextClient{ctx: ctx, next: api.Client}
	return &c
}

type contextClient struct {
	ctx  context.Context
	next tgbotapi.HTTPClient
}

func (c contextClient) Do(req *http.Request) (*http.Response, error) {
	return c.next.Do(req.WithContext(c.ctx))
}

// scrub removes the token from err's text. A *url.Error, which is what the
// library returns for a failed round trip, keeps its chain (so
// errors.Is(err, context.Canceled) and net.Error timeouts still work) with
// the token cut out of its URL; any other error whose text holds the token is
// replaced by a plain error with the text scrubbed.
func scrub(err error, token string) error {
	if err == nil || token == "" {
		return err
	}
	if ue, ok := err.(*url.Error); ok && !strings.Contains(ue.Err.Error(), token) {
		return &url.Error{Op: ue.Op, URL: strings.ReplaceAll(ue.URL, token, "<token>"), Err: ue.Err}
	}
	if strings.Contains(err.Error(), token) {
		return errors.New(strings.ReplaceAll(err.Error(), token, "<token>"))
	}
	return err
}

// ID is the bot's user id, as getMe answered.
func (a *API) ID() int64 { return a.bot.Self.ID }
