package crm

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Direction says who wrote a message and for whom.
type Direction string

const (
	// FromCustomer: the customer wrote to the team.
	FromCustomer Direction = "in"
	// ToCustomer: a team member wrote to the customer.
	ToCustomer Direction = "out"
	// TeamNote: a team member wrote for the team only ("note: ...").
	TeamNote Direction = "note"
)

// Delivery is what became of a team member's message to the customer.
type Delivery string

const (
	DeliveryPending   Delivery = "pending"
	DeliverySending   Delivery = "sending"
	DeliveryDelivered Delivery = "delivered"
	DeliveryBlocked   Delivery = "blocked" // the customer blocked the bot
	DeliveryStopped   Delivery = "stopped" // the customer said /stop
	DeliveryErased    Delivery = "erased"  // the customer said /forget
	DeliveryFailed    Delivery = "failed"  // Telegram refused it for another reason
	// DeliveryUnknown: the relay was cut short by a crash after it began
	// sending; Telegram cannot be asked, so it is not sent again and the
	// team is told it may not have arrived.
	DeliveryUnknown Delivery = "unknown"
)

// Final reports that the delivery is decided: nothing more is sent.
func (d Delivery) Final() bool { return d != DeliveryPending && d != DeliverySending }

// Message kinds besides plain text.
const (
	MessageText     = "text"
	MessagePhoto    = "photo"
	MessageDocument = "document"
	MessageVoice    = "voice"
	MessageLocation = "location"
	MessageContact  = "contact"
	// MessageHandoff marks the customer asking for a person: /manager, or
	// a flow option or step marked `handoff: true`. Text says what they
	// chose, when anything.
	MessageHandoff = "handoff"
)

// Message is one message of a lead's conversation, either way.
type Message struct {
	ID        int64
	LeadID    int64
	ContactID int64
	Direction Direction
	// Author is "customer" or the team member's name.
	Author    string
	ManagerID int64
	// Via is where it was written: ViaChat (the customer's own chat) or
	// the channel of a SalesNotifier ("slack", "telegram" for the sales
	// group).
	Via  string
	Kind string
	Text string
	// Media is a Telegram file id (photo, document, voice) or "lat,lon"
	// for a location; MediaName a document's file name.
	Media string
	// UpdateID is the customer's Telegram update: unique per contact.
	UpdateID int64
	// SourceRef is the message's reference where it was written (a Slack
	// "<channel>:<ts>"); unique per Via, so a redelivered event is the
	// same message. EventID is Slack's event id, kept for the logs.
	SourceRef     string
	EventID       string
	ChatMessageID int64 // its id in the customer's chat
	Delivery      Delivery
	At            time.Time
	DeliveredAt   *time.Time
	ErasedAt      *time.Time
	EditedAt      *time.Time
	DeletedAt     *time.Time // taken back by its author
}

// ViaChat is the Via of what the customer wrote in their chat with the bot.
const ViaChat = "chat"

// Job kinds of conversations: one job per message, keyed by its id.
const (
	JobRelayIn  = "relay_in"  // a customer's message to the team's channels
	JobRelayOut = "relay_out" // a team member's message to the customer
	// JobRelayErase rewrites a lead's relayed messages to the erased form
	// after /forget (queued by the erasure, keyed by its time).
	JobRelayErase = "relay_erase"
	// JobRelayRevise carries a team member's edit or deletion of a
	// relayed message to the customer and the other channel (keyed by the
	// message and the edit).
	JobRelayRevise = "relay_revise"
	// JobRespondEscalate: a customer message unanswered past
	// routing.respond_within.
	JobRespondEscalate = "respond_escalate"
)

// ConversationStore keeps messages. A write that relays a message queues
// its job in the same transaction.
type ConversationStore interface {
	// AddMessage stores m (setting ID) and queues one job of each kind,
	// for m.LeadID and keyed by m's id, in the same transaction. false:
	// the message was stored before (the same update or source ref), and
	// m.ID is that message's.
	AddMessage(ctx context.Context, m *Message, jobKinds ...string) (bool, error)
	Message(ctx context.Context, id int64) (*Message, error)
	// Unrelayed lists the lead's messages of direction dir up to id (in
	// order) that have no reference in channel yet.
	Unrelayed(ctx context.Context, leadID int64, dir Direction, channel string, upTo int64) ([]Message, error)
	MessageRefs(ctx context.Context, id int64) (map[string]string, error)
	SaveMessageRef(ctx context.Context, id int64, channel, ref string) error
	// SetDelivery records what became of an outgoing message, and its id
	// in the customer's chat when it got there (0: unchanged).
	SetDelivery(ctx context.Context, id int64, d Delivery, chatMessageID int64, at time.Time) error
	// LeadByCard finds the lead whose card is ref in channel.
	LeadByCard(ctx context.Context, channel, ref string) (int64, error)
	// MessageByRef finds a message by its reference in channel (where it
	// was posted) or its source ref (where it was written).
	MessageByRef(ctx context.Context, channel, ref string) (*Message, error)
	// LastMessages are the lead's latest n messages, oldest first.
	LastMessages(ctx context.Context, leadID int64, n int) ([]Message, error)
	// LastInbound is when the contact last wrote to the team, zero if never.
	LastMessageAt(ctx context.Context, contactID int64) (time.Time, error)
	// Lock holds the lead's conversation for one relay at a time across
	// replicas (so messages keep their order); unlock lets go. ECONFLICT
	// while another relay holds it; a replica that dies holding it lets go
	// after a lease.
	Lock(ctx context.Context, leadID int64) (unlock func(), err error)
	// Revise records a team member's edit (text) or deletion of their
	// message and queues job with it; a message erased or deleted before
	// is left alone (and job not queued).
	Revise(ctx context.Context, id int64, text string, deleted bool, at time.Time, job *Job) error
	// HandOff hands the lead to the team: a lead still in its dialogue
	// becomes qualified where it stands, with a "handoff" event. It
	// returns the lead's id, stage and temperature after, and whether this
	// call changed it.
	HandOff(ctx context.Context, leadID int64, at time.Time) (HandedLead, error)
	// Unanswered lists customer messages written before t that no team
	// message followed and that were not escalated yet, and marks them
	// escalated with their job.
	EscalateUnanswered(ctx context.Context, before time.Time, limit int) (int, error)
}

// HandedLead is a lead after ConversationStore.HandOff.
type HandedLead struct {
	ID          int64
	Stage       Stage
	Temperature Temperature
	// Handed: this hand-off qualified the lead (it was in its dialogue).
	Handed bool
}

// ConversationNotifier is a SalesNotifier that carries conversations: the
// card's Slack thread, the card's replies or topic in the sales group.
type ConversationNotifier interface {
	SalesNotifier
	// PostMessage posts m in the conversation of the card at cardRef and
	// returns its reference there.
	PostMessage(ctx context.Context, cardRef string, card *LeadCard, m *Message) (string, error)
	// EditMessage redraws the message posted at ref from m (an erased
	// message says so instead of its text).
	EditMessage(ctx context.Context, cardRef, ref string, card *LeadCard, m *Message) error
	// ShowDelivery marks the team message at ref with m.Delivery: the
	// member's own message, or (copy) the copy PostMessage posted of a
	// message written in another channel, whose text says it already.
	ShowDelivery(ctx context.Context, cardRef, ref string, m *Message, copy bool) error
}

// MessageFinder is a ConversationNotifier that can find a message it
// posted, so that a relay interrupted between posting and recording it
// adopts that post instead of posting a second one.
type MessageFinder interface {
	FindMessage(ctx context.Context, cardRef string, messageID int64) (ref string, ok bool, err error)
}

// MediaSource fetches the file a customer sent (Message.Media): its bytes
// and a file name.
type MediaSource interface {
	Media(ctx context.Context, m *Message) (data []byte, name string, err error)
}

// MediaPoster is a ConversationNotifier that can show a customer's file
// in the conversation (an upload into the card's Slack thread).
type MediaPoster interface {
	PostMedia(ctx context.Context, cardRef string, m *Message, data []byte, name string) error
}

// CustomerRelay sends a team member's message to the customer in their
// chat, signed with the member's customer-facing name; chatMessageID is
// its id there. An error whose chain has Blocked() true means the
// customer blocked the bot.
type CustomerRelay interface {
	Relay(ctx context.Context, r Reach, m *Message, signature string) (chatMessageID int64, err error)
	// Edit makes the relayed message (m.ChatMessageID) say m.Text; Delete
	// takes it back.
	Edit(ctx context.Context, r Reach, m *Message, signature string) error
	Delete(ctx context.Context, r Reach, m *Message) error
}

// ConversationPolicy is the configuration of conversations.
type ConversationPolicy struct {
	// OpenFor: a conversation stays open this long after its last
	// message; while it is open, automated outreach to the customer waits.
	OpenFor time.Duration
	// RespondWithin: a customer message unanswered this long (in working
	// hours) is escalated like an unclaimed hot lead.
	RespondWithin time.Duration
}

// Conversations relays messages between customers and the team.
type Conversations struct {
	// notes, when set, keeps a "note:" as a note on the lead (Desk.Note).
	notes  func(ctx context.Context, by Manager, leadID int64, text string) error
	media  MediaSource
	log    func(ctx context.Context, msg string, args ...any)
	store  ConversationStore
	sales  *Sales
	reach  func(ctx context.Context, contactID int64) (Reach, error)
	blockd func(ctx context.Context, contactID int64, at time.Time) error
	relay  CustomerRelay
	policy ConversationPolicy
	clock  Clock
}

// NewConversations wires conversations. reach says whether a customer
// may be written to (EngagementStore.Reach); unreachable records that one
// blocked the bot (EngagementStore.MarkUnreachable).
func NewConversations(store ConversationStore, sales *Sales, reach func(context.Context, int64) (Reach, error),
	unreachable func(context.Context, int64, time.Time) error, relay CustomerRelay, policy ConversationPolicy, clock Clock) *Conversations {
	if policy.OpenFor <= 0 {
		policy.OpenFor = 24 * time.Hour
	}
	if policy.RespondWithin <= 0 {
		policy.RespondWithin = 10 * time.Minute
	}
	return &Conversations{store: store, sales: sales, reach: reach, blockd: unreachable, relay: relay, policy: policy, clock: clock}
}

// KeepNotes makes a team member's "note:" in a conversation a note on the
// lead as well (the desk's notes: /lead, the card's note count), beside
// its place in the conversation.
func (c *Conversations) KeepNotes(note func(ctx context.Context, by Manager, leadID int64, text string) error) {
	c.notes = note
}

// UploadMedia makes the relay upload the files customers send (photos,
// documents, voice notes) where a channel can show them (MediaPoster);
// warn hears of an upload that failed, which is not tried again (the
// message itself, naming the file, is in the thread already).
func (c *Conversations) UploadMedia(src MediaSource, warn func(ctx context.Context, msg string, args ...any)) {
	c.media, c.log = src, warn
}

// Receipt is what the customer's side learns of a message it stored.
type Receipt struct {
	// Duplicate: the same update was stored before; say nothing again.
	Duplicate bool
	// Opened: no conversation was open (the last message was more than
	// OpenFor ago, or there was none): the customer is told a person
	// will answer here.
	Opened bool
	// OffHours: nobody on the team is at work now; NextOnDuty is when the
	// first of them is (zero when unknown).
	OffHours   bool
	NextOnDuty time.Time
}

// Receive stores a customer's message for the team and queues its relay.
// A handoff also hands a lead still in its dialogue to the team.
func (c *Conversations) Receive(ctx context.Context, m *Message) (Receipt, error) {
	now := c.clock.Now()
	if m.At.IsZero() {
		m.At = now
	}
	m.Direction, m.Author, m.Via = FromCustomer, "customer", ViaChat
	if m.Kind == "" {
		m.Kind = MessageText
	}
	last, err := c.store.LastMessageAt(ctx, m.ContactID)
	if err != nil {
		return Receipt{}, err
	}
	if m.Kind == MessageHandoff {
		lead, err := c.store.HandOff(ctx, m.LeadID, m.At)
		if err != nil {
			return Receipt{}, err
		}
		// A hot lead handed over mid-dialogue is alerted as if it had
		// finished it; the relay waits for that card.
		if jobs := AlertJobs(lead.ID, lead.Stage, lead.Temperature); lead.Handed && jobs != nil {
			if err := c.sales.store.Enqueue(ctx, jobs...); err != nil {
				return Receipt{}, err
			}
		}
	}
	fresh, err := c.store.AddMessage(ctx, m, JobRelayIn)
	if err != nil {
		return Receipt{}, fmt.Errorf("receive message: %w", err)
	}
	if !fresh {
		return Receipt{Duplicate: true}, nil
	}
	r := Receipt{Opened: last.IsZero() || m.At.Sub(last) > c.policy.OpenFor}
	if next, ok := c.nextOnDuty(now); len(c.sales.team) > 0 && (!ok || next.After(now)) {
		r.OffHours, r.NextOnDuty = true, next
	}
	return r, nil
}

// nextOnDuty is the first moment (in 15-minute steps, within a week) at
// which someone on the team takes leads; ok false when nobody ever does.
// onDutyThroughout reports whether someone who takes leads was on duty
// at every minute from from to to.
func (c *Conversations) onDutyThroughout(from, to time.Time) bool {
	for t := to; !t.Before(from); t = t.Add(-time.Minute) {
		if !c.onDuty(t) {
			return false
		}
	}
	return true
}

func (c *Conversations) onDuty(t time.Time) bool {
	for _, m := range c.sales.team {
		if m.Role != RoleAdmin && m.TakesLeads(t, 0, c.sales.policy.TimeZone) {
			return true
		}
	}
	return false
}

func (c *Conversations) nextOnDuty(now time.Time) (time.Time, bool) {
	for t := now; t.Sub(now) <= 7*24*time.Hour; t = t.Add(15 * time.Minute).Truncate(15 * time.Minute) {
		if c.onDuty(t) {
			return t, true
		}
	}
	return time.Time{}, false
}

// TeamMessage is a team member writing in a lead's conversation.
type TeamMessage struct {
	// Channel is the SalesNotifier's channel it was written in; CardRef
	// the card it answers there (a Slack thread's parent).
	Channel string
	CardRef string
	// Ref is the message's own reference there, unique in Channel.
	Ref     string
	EventID string
	By      Manager
	Text    string
	At      time.Time
}

// NotePrefix keeps a team message internal.
const NotePrefix = "note:"

// Write takes a team member's message in a lead's conversation: a note
// stays with the team; anything else goes to the customer (a durable job),
// and a first reply claims an unclaimed lead and counts as contact. A
// message in no lead's conversation is ENOTFOUND; a member who may not take
// the lead now (off duty, at the limit) gets EFORBIDDEN saying why. A
// redelivered message is stored once and returns the stored one.
func (c *Conversations) Write(ctx context.Context, tm TeamMessage) (*Message, error) {
	if tm.By.ID == 0 {
		return nil, Errorf(EFORBIDDEN, "only the sales team can write to customers")
	}
	if tm.At.IsZero() {
		tm.At = c.clock.Now()
	}
	leadID, err := c.store.LeadByCard(ctx, tm.Channel, tm.CardRef)
	if err != nil {
		return nil, err
	}
	card, err := c.sales.card(ctx, leadID)
	if err != nil {
		return nil, err
	}
	m := &Message{LeadID: leadID, ContactID: card.Contact.ID, Author: tm.By.Name, ManagerID: tm.By.ID, Via: tm.Channel,
		Kind: MessageText, Text: strings.TrimSpace(tm.Text), SourceRef: tm.Ref, EventID: tm.EventID, At: tm.At}
	if body, ok := cutNote(m.Text); ok {
		m.Direction, m.Text, m.Delivery = TeamNote, body, DeliveryDelivered
		fresh, err := c.store.AddMessage(ctx, m)
		if err != nil {
			return nil, fmt.Errorf("store note: %w", err)
		}
		if fresh && c.notes != nil && body != "" {
			// Kept in the conversation either way; a note the desk
			// refuses (a rep on another's lead, an overlong one) stays
			// there only.
			if err := c.notes(ctx, tm.By, leadID, body); err != nil && !refused(err) && ErrorCode(err) != EINVALID {
				return m, err
			}
		}
		return m, nil
	}
	m.Direction, m.Delivery = ToCustomer, DeliveryPending
	claim := card.ClaimedAt == nil && card.Lead.Stage == StageQualified
	if claim {
		if err := c.mayTake(ctx, tm.By, card, tm.At); err != nil {
			return nil, err
		}
	}
	fresh, err := c.store.AddMessage(ctx, m, JobRelayOut)
	if err != nil {
		return nil, fmt.Errorf("store reply: %w", err)
	}
	if !fresh {
		return c.store.Message(ctx, m.ID)
	}
	// The reply is stored with its relay; the claim and the contact
	// follow it. Each is a guarded update with its own event and card
	// update, and one lost to someone else is not this reply's failure.
	if claim {
		if _, err := c.sales.Act(ctx, Action{LeadID: leadID, Kind: ActClaim, By: tm.By, At: tm.At, ByReply: true}); err != nil && !refused(err) {
			return m, err
		}
	}
	if card.ContactedAt == nil && (card.Lead.Stage == StageQualified) {
		if _, err := c.sales.Act(ctx, Action{LeadID: leadID, Kind: ActContacted, By: tm.By, At: tm.At}); err != nil && !refused(err) {
			return m, err
		}
	}
	return m, nil
}

// permanent reports a channel's refusal that no retry changes (an error
// in the chain with Permanent() true).
func permanent(err error) bool {
	var p interface{ Permanent() bool }
	return errors.As(err, &p) && p.Permanent()
}

func refused(err error) bool {
	code := ErrorCode(err)
	return code == ECONFLICT || code == EFORBIDDEN
}

// cutNote reads "note: text" (any case, "note:" alone is an empty note).
func cutNote(text string) (string, bool) {
	if len(text) < len(NotePrefix) || !strings.EqualFold(text[:len(NotePrefix)], NotePrefix) {
		return "", false
	}
	return strings.TrimSpace(text[len(NotePrefix):]), true
}

// mayTake says whether by may claim the lead by replying: the routing
// rules apply (working hours, the open-lead limit); heads and admins may
// always answer.
func (c *Conversations) mayTake(ctx context.Context, by Manager, card *LeadCard, now time.Time) error {
	if by.Role == RoleHead || by.Role == RoleAdmin {
		return nil
	}
	if card.Assignee != nil && card.Assignee.ID != by.ID {
		return Errorf(EFORBIDDEN, "lead #%d is assigned to %s; the reply was not sent", card.Lead.ID, card.Assignee.Name)
	}
	load, err := c.sales.store.OpenLoad(ctx)
	if err != nil {
		return err
	}
	if by.MaxOpen > 0 && load[by.ID] >= by.MaxOpen && (card.Assignee == nil || card.Assignee.ID != by.ID) {
		return Errorf(EFORBIDDEN, "you have %d open leads, your limit is %d: the reply was not sent and lead #%d stays unclaimed", load[by.ID], by.MaxOpen, card.Lead.ID)
	}
	if !by.TakesLeads(now, 0, c.sales.policy.TimeZone) {
		return Errorf(EFORBIDDEN, "you are off duty now, so replying cannot claim lead #%d; the reply was not sent", card.Lead.ID)
	}
	return nil
}

// Handles reports whether kind is a conversation job.
func (c *Conversations) Handles(kind string) bool {
	return kind == JobRelayIn || kind == JobRelayOut || kind == JobRespondEscalate || kind == JobRelayErase || kind == JobRelayRevise
}

// Run does one conversation job.
func (c *Conversations) Run(ctx context.Context, job Job) error {
	switch job.Kind {
	case JobRespondEscalate:
		return c.escalate(ctx, job)
	case JobRelayErase:
		return c.rewrite(ctx, job.LeadID)
	}
	msg, _, _ := strings.Cut(job.Key, "@") // a revision's key is "<id>@<edit>"
	id, err := strconv.ParseInt(msg, 10, 64)
	if err != nil {
		return Errorf(EINVALID, "job %s: key %q is not a message id", job.Kind, job.Key)
	}
	unlock, err := c.store.Lock(ctx, job.LeadID)
	if ErrorCode(err) == ECONFLICT {
		// Another relay of this conversation runs: this one goes after
		// it, so the messages keep their order.
		return &Later{Wait: 50 * time.Millisecond}
	}
	if err != nil {
		return err
	}
	defer unlock()
	switch job.Kind {
	case JobRelayIn:
		return c.relayIn(ctx, job.LeadID, id, job.Interrupted || job.Attempt > 1, job.Attempt)
	case JobRelayOut:
		return c.relayOut(ctx, id, job.Interrupted)
	case JobRelayRevise:
		return c.revise(ctx, id)
	}
	return Errorf(EINVALID, "unknown job kind %q", job.Kind)
}

// relayIn posts the lead's customer messages up to id, in order, into
// every conversation channel, posting the lead's card first where it has
// none (a warm or cold lead, a returning customer). Messages already
// posted there are skipped, so a retry finishes what a failed run began;
// after a crash a channel that can find its posts is asked first.
func (c *Conversations) relayIn(ctx context.Context, leadID, upTo int64, retried bool, attempt int) error {
	card, refs, err := c.sales.cardAndRefs(ctx, leadID)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	var errs []error
	for _, n := range c.sales.notifiers {
		cn, ok := n.(ConversationNotifier)
		if !ok {
			continue
		}
		ref := refs[n.Channel()]
		if ref == "" && card.AlertedAt == nil && AlertJobs(leadID, card.Lead.Stage, card.Lead.Temperature) != nil && attempt < alertWaits {
			// A hot lead's alert is posting its card right now: wait for
			// it (the queue's backoff) rather than post a second card.
			errs = append(errs, Errorf(ECONFLICT, "the card of lead %d is not posted yet", leadID))
			continue
		}
		if ref == "" {
			if ref, err = c.sales.postCard(ctx, n, card, retried, now, false); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		errs = append(errs, c.postAll(ctx, cn, ref, card, FromCustomer, upTo, retried))
	}
	return errors.Join(errs...)
}

// alertWaits bounds how many runs a relay waits for a hot lead's alert to
// post the card; after that it posts the card itself (the alert adopts it
// or updates it, see Sales.alert).
const alertWaits = 4

// postAll posts the lead's unposted messages of dir up to id into cn.
func (c *Conversations) postAll(ctx context.Context, cn ConversationNotifier, cardRef string, card *LeadCard, dir Direction, upTo int64, retried bool) error {
	pending, err := c.store.Unrelayed(ctx, card.Lead.ID, dir, cn.Channel(), upTo)
	if err != nil {
		return err
	}
	for i := range pending {
		m := &pending[i]
		if f, ok := cn.(MessageFinder); ok && retried {
			ref, found, err := f.FindMessage(ctx, cardRef, m.ID)
			if err != nil {
				return err
			}
			if found {
				if err := c.store.SaveMessageRef(ctx, m.ID, cn.Channel(), ref); err != nil {
					return err
				}
				continue
			}
		}
		ref, err := cn.PostMessage(ctx, cardRef, card, m)
		if err != nil {
			return fmt.Errorf("post message %d to %s: %w", m.ID, cn.Channel(), err)
		}
		if err := c.store.SaveMessageRef(ctx, m.ID, cn.Channel(), ref); err != nil {
			return err
		}
		c.upload(ctx, cn, cardRef, m)
	}
	return nil
}

// upload puts a customer's file under its message where the channel can
// show files. Once: a failure is logged, not retried (which could upload
// it twice); the message already names the file.
func (c *Conversations) upload(ctx context.Context, cn ConversationNotifier, cardRef string, m *Message) {
	mp, ok := cn.(MediaPoster)
	if !ok || c.media == nil || m.Media == "" || (m.Kind != MessagePhoto && m.Kind != MessageDocument && m.Kind != MessageVoice) {
		return
	}
	data, name, err := c.media.Media(ctx, m)
	if err == nil {
		err = mp.PostMedia(ctx, cardRef, m, data, name)
	}
	if err != nil && c.log != nil {
		c.log(ctx, "conversation: file not uploaded", "message_id", m.ID, "channel", cn.Channel(), "err", err)
	}
}

// relayOut sends a team member's message to the customer once, records
// what became of it and shows that on the message in the team's channels.
// A relay interrupted after it began sending is not sent again (Telegram
// cannot be asked whether it arrived): it is marked unknown.
func (c *Conversations) relayOut(ctx context.Context, id int64, interrupted bool) error {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return err
	}
	now := c.clock.Now()
	switch {
	case m.Delivery == DeliverySending && interrupted:
		m.Delivery = DeliveryUnknown
		if err := c.store.SetDelivery(ctx, id, m.Delivery, 0, now); err != nil {
			return err
		}
	case !m.Delivery.Final():
		if err := c.send(ctx, m, now); err != nil {
			return err
		}
	}
	return c.show(ctx, m)
}

// send delivers m to the customer unless they may not be written to, and
// records the outcome.
func (c *Conversations) send(ctx context.Context, m *Message, now time.Time) error {
	r, err := c.reach(ctx, m.ContactID)
	if err != nil {
		return err
	}
	switch {
	case r.Erased:
		m.Delivery = DeliveryErased
	case r.Stopped:
		m.Delivery = DeliveryStopped
	case r.Unreachable:
		m.Delivery = DeliveryBlocked
	case r.ChatID == 0:
		m.Delivery = DeliveryFailed
	}
	if m.Delivery.Final() {
		return c.store.SetDelivery(ctx, m.ID, m.Delivery, 0, now)
	}
	if err := c.store.SetDelivery(ctx, m.ID, DeliverySending, 0, now); err != nil {
		return err
	}
	signature := m.Author
	if by, ok := c.sales.managerByID(m.ManagerID); ok && by.CustomerName != "" {
		signature = by.CustomerName
	}
	chatID, err := c.relay.Relay(ctx, r, m, signature)
	switch {
	case err == nil:
		m.Delivery, m.ChatMessageID = DeliveryDelivered, chatID
	case blocked(err):
		m.Delivery = DeliveryBlocked
		if c.blockd != nil {
			if err := c.blockd(ctx, m.ContactID, now); err != nil {
				return err
			}
		}
	case ErrorCode(err) == EINVALID || permanent(err):
		m.Delivery = DeliveryFailed
	default:
		// Not sent (a 5xx, a network failure): back to pending, and the
		// queue retries.
		if serr := c.store.SetDelivery(ctx, m.ID, DeliveryPending, 0, now); serr != nil {
			return errors.Join(err, serr)
		}
		return err
	}
	return c.store.SetDelivery(ctx, m.ID, m.Delivery, m.ChatMessageID, now)
}

// show marks the message in every conversation channel with its delivery.
// The channel it was written in marks the member's own message; the
// others get a copy (so a reply written in Slack shows in the group),
// posted once.
func (c *Conversations) show(ctx context.Context, m *Message) error {
	card, cardRefs, refs, err := c.copies(ctx, m)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range c.sales.notifiers {
		cn, ok := n.(ConversationNotifier)
		cardRef := cardRefs[n.Channel()]
		if !ok || cardRef == "" {
			continue
		}
		ref, copy := refs[n.Channel()], true
		if n.Channel() == m.Via {
			ref, copy = m.SourceRef, false
		}
		if ref == "" {
			if ref, err = cn.PostMessage(ctx, cardRef, card, m); err != nil {
				errs = append(errs, err)
				continue
			}
			if err := c.store.SaveMessageRef(ctx, m.ID, n.Channel(), ref); err != nil {
				errs = append(errs, err)
				continue
			}
		}
		errs = append(errs, cn.ShowDelivery(ctx, cardRef, ref, m, copy))
	}
	return errors.Join(errs...)
}

// Revise takes a team member's edit (text) or deletion (deleted) of the
// message they wrote at ref in channel: it is stored, and what the
// customer and the other channel were shown follows it (a durable job).
// key tells one edit from another (Slack's edit time). A message that is
// not a lead's is ENOTFOUND.
func (c *Conversations) Revise(ctx context.Context, channel, ref, text string, deleted bool, key string) error {
	m, err := c.store.MessageByRef(ctx, channel, ref)
	if err != nil {
		return err
	}
	if m.Via != channel || m.SourceRef != ref || m.Direction == FromCustomer {
		return Errorf(ENOTFOUND, "not a team member's message")
	}
	text = strings.TrimSpace(text)
	if body, ok := cutNote(text); ok && m.Direction == TeamNote {
		text = body
	}
	var job *Job
	if m.Direction == ToCustomer {
		job = &Job{Kind: JobRelayRevise, LeadID: m.LeadID, Key: strconv.FormatInt(m.ID, 10) + "@" + key}
	}
	return c.store.Revise(ctx, m.ID, text, deleted, c.clock.Now(), job)
}

// revise makes the customer's copy of a relayed message follow its
// author's edit or deletion, where Telegram allows (a bot's message can
// be changed for 48 hours; a refusal is final and logged by the caller's
// channel), and redraws the copies in the other channels.
func (c *Conversations) revise(ctx context.Context, id int64) error {
	m, err := c.store.Message(ctx, id)
	if err != nil {
		return err
	}
	if m.Delivery == DeliveryDelivered && m.ChatMessageID != 0 && m.ErasedAt == nil {
		r, err := c.reach(ctx, m.ContactID)
		if err != nil {
			return err
		}
		if r.ChatID != 0 && !r.Erased {
			if m.DeletedAt != nil {
				err = c.relay.Delete(ctx, r, m)
			} else {
				signature := m.Author
				if by, ok := c.sales.managerByID(m.ManagerID); ok && by.CustomerName != "" {
					signature = by.CustomerName
				}
				err = c.relay.Edit(ctx, r, m, signature)
			}
			if err != nil && !permanent(err) && !blocked(err) {
				return err
			}
		}
	}
	card, cardRefs, refs, err := c.copies(ctx, m)
	if err != nil {
		return err
	}
	var errs []error
	for _, n := range c.sales.notifiers {
		cn, ok := n.(ConversationNotifier)
		if ref := refs[n.Channel()]; ok && ref != "" && n.Channel() != m.Via {
			if err := cn.EditMessage(ctx, cardRefs[n.Channel()], ref, card, m); err != nil && ErrorCode(err) != ENOTFOUND {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// rewrite redraws every copy of the lead's messages in the team's
// channels from the store: after /forget, the erased form. Copies gone
// from a channel are skipped.
func (c *Conversations) rewrite(ctx context.Context, leadID int64) error {
	card, cardRefs, err := c.sales.cardAndRefs(ctx, leadID)
	if err != nil {
		return err
	}
	msgs, err := c.store.LastMessages(ctx, leadID, 10000)
	if err != nil {
		return err
	}
	var errs []error
	for i := range msgs {
		m := &msgs[i]
		refs, err := c.store.MessageRefs(ctx, m.ID)
		if err != nil {
			return err
		}
		for _, n := range c.sales.notifiers {
			cn, ok := n.(ConversationNotifier)
			ref := refs[n.Channel()]
			if !ok || ref == "" {
				continue
			}
			if err := cn.EditMessage(ctx, cardRefs[n.Channel()], ref, card, m); err != nil && ErrorCode(err) != ENOTFOUND {
				errs = append(errs, err)
			}
		}
	}
	return errors.Join(errs...)
}

// OpenUntil is when the contact's conversation closes: OpenFor after its
// last message either way (zero when there was none). Engagement.PauseFor
// makes outreach wait for it.
func (c *Conversations) OpenUntil(ctx context.Context, contactID int64) (time.Time, error) {
	last, err := c.store.LastMessageAt(ctx, contactID)
	if err != nil || last.IsZero() {
		return time.Time{}, err
	}
	return last.Add(c.policy.OpenFor), nil
}

// OpenFor is the configured relay.open_for.
func (c *Conversations) OpenFor() time.Duration { return c.policy.OpenFor }

// Sweep escalates customer messages nobody answered within RespondWithin,
// each once, while someone on the team is at work (a message written at
// night counts from the morning: its escalation waits for the sweep that
// finds someone on duty).
func (c *Conversations) Sweep(ctx context.Context, now time.Time) error {
	// RespondWithin counts working time: a message is overdue only once
	// someone has been on duty for the whole of the last RespondWithin,
	// so one written at night escalates RespondWithin after the first
	// rep comes on, not at the first sweep of the morning.
	if !c.onDutyThroughout(now.Add(-c.policy.RespondWithin), now) {
		return nil
	}
	for {
		n, err := c.store.EscalateUnanswered(ctx, now.Add(-c.policy.RespondWithin), 100)
		if err != nil || n < 100 {
			return err
		}
	}
}

// escalate re-announces a lead whose customer waits for an answer, under
// its card, mentioning the heads.
func (c *Conversations) escalate(ctx context.Context, job Job) error {
	return c.sales.toChannels(ctx, job.LeadID, func(ctx context.Context, n SalesNotifier, ref string, card *LeadCard) error {
		if ref == "" {
			return nil
		}
		text := fmt.Sprintf("⏰ The customer of lead #%d has waited for an answer for over %s.", card.Lead.ID, c.policy.RespondWithin)
		if w, ok := c.sales.labels.(NoticeWriter); ok {
			text = w.UnansweredNotice(card, c.policy.RespondWithin)
		}
		return n.Notify(ctx, ref, card, text, c.sales.heads())
	})
}

// copies is what showing a message in the conversation channels needs:
// the lead's card, the card's reference in each channel and the
// message's own copies there.
func (c *Conversations) copies(ctx context.Context, m *Message) (card *LeadCard, cardRefs, refs map[string]string, err error) {
	if card, cardRefs, err = c.sales.cardAndRefs(ctx, m.LeadID); err != nil {
		return nil, nil, nil, err
	}
	if refs, err = c.store.MessageRefs(ctx, m.ID); err != nil {
		return nil, nil, nil, err
	}
	return card, cardRefs, refs, nil
}
