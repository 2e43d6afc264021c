package postgres

import (
	"errors"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/voronka/voronka/crm"
)

// SQLSTATE codes this package acts on. PostgreSQL's messages are localised
// and change between versions; the codes are the stable contract, so
// errors are matched by code only.
const (
	codeUniqueViolation     = "23505"
	codeForeignKeyViolation = "23503"
	codeCheckViolation      = "23514"
	codeNotNullViolation    = "23502"
	// A NUL byte or invalid UTF-8 in text (22021), or "\u0000" in jsonb
	// (22P05): customer input PostgreSQL cannot store.
	codeCharacterNotInRepertoire = "22021"
	codeUntranslatableCharacter  = "22P05"
)

// sqlState returns the SQLSTATE of the PostgreSQL error in err's chain, ""
// when there is none.
func sqlState(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		return pgErr.Code
	}
	return ""
}

// translate turns the driver errors a caller can act on into *crm.Error and
// passes everything else through for the caller to wrap. notFound is the
// message for a missing row, either read (pgx.ErrNoRows) or referenced by a
// foreign key (the lead or contact a row points at does not exist). Unique
// violations are conflicts; constraint checks and unstorable text mean the
// input was invalid.
func translate(err error, notFound string) error {
	if err == nil {
		return nil
	}
	var crmErr *crm.Error
	if errors.As(err, &crmErr) {
		return err
	}
	if errors.Is(err, pgx.ErrNoRows) {
		return crm.Errorf(crm.ENOTFOUND, "%s", notFound)
	}
	switch sqlState(err) {
	case codeForeignKeyViolation:
		return crm.Errorf(crm.ENOTFOUND, "%s", notFound)
	case codeUniqueViolation:
		return crm.Errorf(crm.ECONFLICT, "already exists")
	case codeCheckViolation, codeNotNullViolation:
		return crm.Errorf(crm.EINVALID, "%s", invalidMessage(err))
	case codeCharacterNotInRepertoire, codeUntranslatableCharacter:
		return crm.Errorf(crm.EINVALID, "text contains characters that cannot be stored")
	}
	return err
}

// invalidMessage names what a failed check was about when the constraint is
// one the migrations define, without quoting PostgreSQL's own text.
func invalidMessage(err error) string {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch pgErr.ConstraintName {
		case "leads_stage_check":
			return "unknown lead stage"
		case "leads_temperature_check":
			return "unknown lead temperature"
		}
	}
	return "a value is out of range"
}
