package slackfake

import (
	"encoding/json"
	"fmt"
)

// Event is an Events API request body Slack would post to the app's
// request URL (sign it with slack.Sign and post it to /slack/events).
type Event struct {
	ID   string
	Body []byte
	// TS is the message's timestamp (Say), ChannelID its channel.
	ChannelID string
	TS        string
}

// Say is a person (user) writing text in channelID, in the thread of
// threadTS ("" for the channel itself): the message is kept as Slack
// would keep it, and the message event Slack would send about it is
// returned.
func (s *Server) Say(channelID, threadTS, user, text string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	ts := s.nextTS()
	s.messages[channelID+"/"+ts] = &Message{ChannelID: channelID, TS: ts, ThreadTS: threadTS, Text: text, User: user, seq: s.seq}
	ev := map[string]any{"type": "message", "channel": channelID, "user": user, "text": text, "ts": ts,
		"event_ts": ts, "channel_type": "channel"}
	if threadTS != "" {
		ev["thread_ts"] = threadTS
	}
	return s.event(ev, channelID, ts)
}

// Edit is user changing their message at ts to text: the message_changed
// event Slack sends.
func (s *Server) Edit(channelID, ts, user, text string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	m, ok := s.messages[channelID+"/"+ts]
	thread := ""
	if ok {
		m.Text = text
		m.Updates++
		thread = m.ThreadTS
	}
	now := s.nextTS()
	inner := map[string]any{"type": "message", "user": user, "text": text, "ts": ts, "thread_ts": thread,
		"edited": map[string]any{"user": user, "ts": now}}
	ev := map[string]any{"type": "message", "subtype": "message_changed", "channel": channelID, "ts": now,
		"event_ts": now, "message": inner, "previous_message": map[string]any{"type": "message", "user": user, "ts": ts, "thread_ts": thread}}
	return s.event(ev, channelID, ts)
}

// Delete is the message at ts deleted: the message_deleted event.
func (s *Server) Delete(channelID, ts string) Event {
	s.mu.Lock()
	defer s.mu.Unlock()
	thread := ""
	user := ""
	if m, ok := s.messages[channelID+"/"+ts]; ok {
		thread, user = m.ThreadTS, m.User
		delete(s.messages, channelID+"/"+ts)
	}
	now := s.nextTS()
	ev := map[string]any{"type": "message", "subtype": "message_deleted", "channel": channelID, "ts": now,
		"event_ts": now, "deleted_ts": ts, "hidden": true,
		"previous_message": map[string]any{"type": "message", "user": user, "ts": ts, "thread_ts": thread}}
	return s.event(ev, channelID, ts)
}

// event wraps an inner event in Slack's event_callback envelope with a
// new event id. The caller holds mu.
func (s *Server) event(inner map[string]any, channelID, ts string) Event {
	s.seq++
	id := fmt.Sprintf("Ev%08d", s.seq)
	body, _ := json.Marshal(map[string]any{
		"token": "verification-token", "team_id": TeamID, "api_app_id": "A0VORONKA", "type": "event_callback",
		"event_id": id, "event_time": s.clock.Unix() + s.seq, "event": inner,
		"authorizations": []map[string]any{{"team_id": TeamID, "user_id": BotUID, "is_bot": true}},
	})
	return Event{ID: id, Body: body, ChannelID: channelID, TS: ts}
}

// URLVerification is the challenge Slack posts when the request URL is
// set in the app's configuration.
func URLVerification(challenge string) []byte {
	body, _ := json.Marshal(map[string]any{"token": "verification-token", "challenge": challenge, "type": "url_verification"})
	return body
}
