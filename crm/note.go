package crm

import (
	"strings"
	"time"
	"unicode/utf8"
)

// Note is a team member's internal remark on a lead: never shown to the
// customer, kept on the lead's timeline (the event holds the note's id,
// not its text, so that /forget can blank the text in one place).
type Note struct {
	ID        int64
	LeadID    int64
	ManagerID int64
	Author    string
	Text      string
	CreatedAt time.Time
}

// MaxNoteLen is the longest note, in characters: a paragraph, not a file.
const MaxNoteLen = 2000

// CheckNote trims a note's text and refuses an empty or overlong one.
func CheckNote(text string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", Errorf(EINVALID, "the note is empty")
	case utf8.RuneCountInString(text) > MaxNoteLen:
		return "", Errorf(EINVALID, "a note is at most %d characters", MaxNoteLen)
	}
	return text, nil
}
