// Package bot is the channel-neutral side of Voronka: the message model that
// every channel renders, and the dispatcher that sends a customer's input to
// the flow engine and the CRM.
package bot

import (
	"context"
	"time"

	"github.com/voronka/voronka/crm"
)

// InputKind tells what a customer did.
type InputKind string

const (
	InputText    InputKind = "text"    // typed a message
	InputCommand InputKind = "command" // typed /command [args]
	InputButton  InputKind = "button"  // pressed an inline button
	InputContact InputKind = "contact" // shared a contact card
	InputOther   InputKind = "other"   // a sticker, a photo, anything else
	// The customer blocked the bot in their private chat, or unblocked it
	// (Telegram's my_chat_member with status kicked / member). Nothing is
	// said back: a blocked customer cannot be written to.
	InputBlocked   InputKind = "blocked"
	InputUnblocked InputKind = "unblocked"
)

// User is who sent an update, as the channel knows them.
type User struct {
	ID        int64
	FirstName string
	LastName  string
	Username  string
	Language  string // IETF tag from the client, e.g. "ru", "en-US"
}

// SharedContact is a contact card a customer shared.
type SharedContact struct {
	Phone     string
	UserID    int64 // the Telegram user the card belongs to; 0 if not a Telegram user
	FirstName string
	LastName  string
}

// Update is one input from a channel.
type Update struct {
	// ID identifies the delivery for de-duplication (Telegram's update_id).
	ID      int64
	ChatID  int64
	Private bool
	User    User
	Kind    InputKind
	Text    string // the text typed, without the command for InputCommand
	Command string // "start", "help"... without the slash or @botname
	// Button is the callback data of a pressed inline button.
	Button string
	// ButtonMessageID is the message that carried the pressed button.
	ButtonMessageID int
	// CallbackID must be answered so the client stops its spinner.
	CallbackID string
	Contact    *SharedContact
	// Media is a photo, document, voice note or location the customer
	// sent (Kind InputOther; Text is its caption).
	Media *Media
	// MessageID is the message's id in its chat (0 for a button press).
	MessageID int
	// Slot is where this delivery's reply may ride on the channel's
	// response (Telegram's webhook 200), nil when there is none. It is
	// the delivery's, not the customer's input: the dispatcher only hands
	// it on in its Reply.
	Slot ReplySlot
}

// Media is what a customer sent besides text. A channel that relays it
// to the team fetches the file by FileID.
type Media struct {
	Kind   string // crm.MessagePhoto, MessageDocument, MessageVoice, MessageLocation
	FileID string
	Name   string  // a document's file name
	Lat    float64 // a location
	Lon    float64
}

// ReplySlot is the response to the request an update came in, when the
// channel lets one call of the update's reply ride on it instead of being
// a call of its own (Telegram's webhook: the body of its 200, see
// telegram.WebhookReply). The channel makes one per request and passes it
// explicitly, on the Update (Update.Slot); whoever replies to the update
// hands it to the channel's Sender in the Reply (Reply.Slot), and only
// that Sender looks inside. nil means there is no such response: long
// polling, jobs, the console.
type ReplySlot interface {
	// Taken reports whether a call rides on the response now.
	Taken() bool
}

// Button is one button under a message: a callback button (Data) or a link
// (URL).
type Button struct {
	Text string
	Data string
	URL  string
}

// Message is what the bot says. A channel renders what it can: inline
// buttons, a one-time keyboard asking for the contact, or plain text.
type Message struct {
	ChatID int64
	Text   string
	// Buttons are inline buttons, one slice per row.
	Buttons [][]Button
	// RequestContact, when set, is the label of a reply-keyboard button that
	// shares the customer's own contact.
	RequestContact string
	// RemoveKeyboard hides a reply keyboard shown earlier.
	RemoveKeyboard bool
	// ThreadID sends the message into that forum topic of a group.
	ThreadID int
	// CreateTopic, when set, creates a forum topic of that name in the
	// group instead of sending a message; Send returns its thread id.
	CreateTopic string
	// Delete, with EditMessageID, deletes that message instead (a rep
	// took back a relayed message).
	Delete bool
	// ReplyTo, when set, makes the message a reply to that message of the
	// chat (sent even when that one is gone).
	ReplyTo int
	// EditMessageID, when set, edits that message in place instead of
	// sending a new one (text and inline buttons only).
	EditMessageID int
	// Photo, when set, is a PNG or JPEG sent as a picture (a chart), with
	// Text as its caption; PhotoName is the file name a channel shows.
	Photo     []byte
	PhotoName string
	// Document, when set, is a file sent as an attachment (a CSV export),
	// with Text as its caption. A message carries a photo or a document,
	// not both.
	Document     []byte
	DocumentName string
	// Card, when set, is the lead card this message shows as text (/lead),
	// for a channel that can draw it with its buttons instead (Slack's
	// /voronka lead); others send the text.
	Card *crm.LeadCard
}

// CallbackAnswer stops the spinner on a pressed button and may show a short
// notice.
type CallbackAnswer struct {
	CallbackID string
	Text       string
}

// Sender delivers messages through a channel. It returns the channel's id of
// the sent message. Implementations keep to the channel's rate limits and
// wait out its "retry after" answers.
type Sender interface {
	Send(ctx context.Context, m Message) (messageID int, err error)
	AnswerCallback(ctx context.Context, a CallbackAnswer) error
}

// Reply is everything one update says back, in order: the answer to the
// pressed button (if any), then the messages to the customer's chat.
type Reply struct {
	ChatID   int64
	Callback *CallbackAnswer
	Messages []Message
	// Slot is the update's Update.Slot: with one, the Sender may let one
	// call of the reply ride on the channel's response, and a later Reply
	// with the same Slot keeps the chat's order (see telegram.Sender).
	// nil: every call is a call.
	Slot ReplySlot
}

// Replier is a Sender that delivers a whole Reply with one reservation of
// its rate limits instead of one per message (see BatchLimiter). A failed
// callback answer does not stop the messages; the first failed message
// stops the rest. sent counts the messages delivered.
type Replier interface {
	Sender
	Reply(ctx context.Context, r Reply) (sent int, err error)
}

// A ReservingReplier lets its caller reserve a reply's rate-limit slots
// itself, in a round trip it makes anyway: the dispatcher does it in the
// commit of the update (ReservingTurn), right before the reply goes out.
// PlanReply settles how r will go (it may move the callback answer into
// the webhook's response) and returns the reply to send and the buckets
// to reserve, nil when its limiter reserves nothing in batches;
// ReplyReserved sends it with the waits ReserveAll would have answered,
// or, with nil waits, reserving as Reply does.
type ReservingReplier interface {
	Replier
	PlanReply(ctx context.Context, r Reply) (Reply, []Bucket)
	ReplyReserved(ctx context.Context, r Reply, waits [][]time.Duration) (sent int, err error)
}

// Handler handles one update. A nil error means the update's effects are
// durable and it must not be delivered again.
type Handler interface {
	Handle(ctx context.Context, u Update) error
}

// HandlerFunc adapts a function to Handler.
type HandlerFunc func(ctx context.Context, u Update) error

// Handle calls f.
func (f HandlerFunc) Handle(ctx context.Context, u Update) error { return f(ctx, u) }
