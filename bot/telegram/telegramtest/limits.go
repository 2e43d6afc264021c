package telegramtest

import (
	"strconv"
	"time"
)

// limits is Telegram's flood control as the server enforces it on demand.
type limits struct {
	perSecond int
	perChat   time.Duration
	recent    []time.Time         // accepted sends in the last second
	lastChat  map[int64]time.Time // last accepted send per chat
	refused   int
}

// EnforceLimits makes the server refuse, as Telegram does with 429 and
// retry_after, a message beyond perSecond in any one-second window or a
// second message to one chat within perChat. Tests of broadcast pacing
// use it to prove the bot keeps to the limits rather than leaning on 429s.
func (s *Server) EnforceLimits(perSecond int, perChat time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.limits = &limits{perSecond: perSecond, perChat: perChat, lastChat: map[int64]time.Time{}}
}

// LimitRefusals is how many sends the enforced limits refused.
func (s *Server) LimitRefusals() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.limits == nil {
		return 0
	}
	return s.limits.refused
}

// limit applies the enforced limits to a send. The caller holds mu.
func (s *Server) limit(method string, p map[string]string) *refusal {
	l := s.limits
	if l == nil || (method != "sendMessage" && method != "sendPhoto" && method != "sendDocument") {
		return nil
	}
	now := time.Now()
	keep := l.recent[:0]
	for _, t := range l.recent {
		if now.Sub(t) < time.Second {
			keep = append(keep, t)
		}
	}
	l.recent = keep
	chat, _ := strconv.ParseInt(p["chat_id"], 10, 64)
	if len(l.recent) >= l.perSecond || (l.perChat > 0 && now.Sub(l.lastChat[chat]) < l.perChat) {
		l.refused++
		return &refusal{status: 429, description: "Too Many Requests: retry after 1", retryAfter: 1}
	}
	l.recent = append(l.recent, now)
	l.lastChat[chat] = now
	return nil
}
