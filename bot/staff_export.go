package bot

import (
	"context"
	"encoding/csv"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/voronka/voronka/crm"
)

// exportHeader names the CSV's columns. The file starts with a UTF-8 byte
// order mark so that Excel, where such files are usually opened, reads
// Cyrillic names as text instead of mojibake; other tools ignore it.
var exportHeader = []string{
	"lead_id", "created_at", "stage", "temperature", "score", "flow",
	"source", "medium", "campaign", "landing", "referrer", "start_payload",
	"manager", "qualified_at", "claimed_at", "contacted_at", "won_at", "lost_at",
	"amount", "lost_reason", "name", "username", "phone", "email", "language",
	"win_probability", "messages",
}

// writeExport writes the period's leads as CSV to w and returns how many
// rows it wrote. Times are RFC 3339 in the manager's time zone, with the
// offset, so they read locally and still sort and parse unambiguously.
func writeExport(ctx context.Context, w io.Writer, st *crm.Stats, m crm.Manager, p crm.Period) (int, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	if err := cw.Write(exportHeader); err != nil {
		return 0, err
	}
	loc := p.Loc
	at := func(t *time.Time) string {
		if t == nil {
			return ""
		}
		return t.In(loc).Format(time.RFC3339)
	}
	n, err := st.Export(ctx, m, p, func(r crm.ExportRow) error {
		l, c, a := r.Lead, r.Contact, r.Lead.Attribution
		amount := ""
		if r.WonAt != nil {
			amount = strconv.FormatFloat(r.Amount, 'f', 2, 64)
		}
		return cw.Write([]string{
			strconv.FormatInt(l.ID, 10), at(&l.CreatedAt), string(l.Stage), string(l.Temperature),
			strconv.Itoa(l.Score), l.FlowID,
			cell(a.Source), cell(a.Medium), cell(a.Campaign), cell(a.Landing), cell(a.Referrer), cell(a.Payload),
			cell(st.ManagerName(r.ManagerID)), at(l.QualifiedAt), at(r.ClaimedAt), at(r.ContactedAt), at(r.WonAt), at(r.LostAt),
			amount, cell(l.LostReason), cell(strings.TrimSpace(c.FirstName + " " + c.LastName)), cell(c.Username),
			c.Phone, cell(c.Email), c.Language, winCell(r.WinProbability), strconv.Itoa(r.Messages),
		})
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// cell defuses a text that a spreadsheet would run as a formula (CSV
// injection): customers choose their names and start links, and a name
// like "=HYPERLINK(...)" must stay text. Phones are E.164 and written as
// they are, since their "+" is data.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) {
		return "'" + s
	}
	return s
}

// winCell is the predicted win probability as a share (0.3412), empty
// without a model or for a lead not yet qualified.
func winCell(p *float64) string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(*p, 'f', 4, 64)
}
