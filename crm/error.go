// Package crm is the domain of Voronka: contacts, leads, their stages and
// timeline, and the decisions taken about them. It imports the standard
// library only; storage and channels depend on it, never the other way.
package crm

import (
	"errors"
	"fmt"
)

// Error codes. Adapters map them to their transport: a Telegram reply, an
// HTTP status.
const (
	ENOTFOUND  = "not_found"
	EINVALID   = "invalid"
	ECONFLICT  = "conflict"
	EFORBIDDEN = "forbidden"
	EINTERNAL  = "internal"
)

// Error is the one domain error type. Message is safe to show to the person
// who caused it, in English. Format and Args are what Errorf built Message
// from: crm speaks no language but English, so an adapter that shows the
// error to a reader of another language finds the translation by Format
// (the English text is the key; bot.ErrorText) and fills in Args. This
// keeps every call site one Errorf, and a message without a translation
// still reads, in English.
type Error struct {
	Code    string
	Message string
	Format  string
	Args    []any
}

func (e *Error) Error() string { return fmt.Sprintf("%s: %s", e.Code, e.Message) }

// Errorf builds an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Format: format, Args: args}
}

// ErrorCode returns the code of the first *Error in err's chain, EINTERNAL
// for any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// AsError returns the first *Error in err's chain, nil when there is none.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	return nil
}

// ErrorMessage returns the human message of the first *Error in err's chain,
// and a generic text for any other error, so internals never reach a person.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "internal error"
}
