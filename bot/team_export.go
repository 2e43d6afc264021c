package bot

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/voronka/voronka/crm"
	"github.com/voronka/voronka/flows"
)

// The /export formats: a spreadsheet by default, CSV when asked
// (`/export 30d csv`).
const (
	exportXLSX = "xlsx"
	exportCSV  = "csv"
)

// exportFormat splits "30d csv" into the period's argument and the format.
func exportFormat(args string) (period, format string) {
	fields := strings.Fields(args)
	format = exportXLSX
	if n := len(fields); n > 0 {
		switch strings.ToLower(fields[n-1]) {
		case exportCSV, exportXLSX:
			format = strings.ToLower(fields[n-1])
			fields = fields[:n-1]
		}
	}
	return strings.Join(fields, " "), format
}

// CSVSeparator is the field separator a spreadsheet of the team's locale
// expects: Excel in a Russian locale splits on ";" (the comma is its
// decimal mark) and reads a comma-separated file as one column.
func CSVSeparator(lang string) rune {
	if TeamLang(lang) == LangRU {
		return ';'
	}
	return ','
}

// exportAmount is an amount: two decimals in a CSV, a number in a workbook.
type exportAmount float64

// exportColumn is one column: its header and how a row fills it.
type exportColumn struct {
	header string
	cell   func(r crm.ExportRow) any // string, int, float64, time.Time or nil
}

// exportSheet is the table /export writes: one row per lead, the lead's
// fields, a column per flow step's answer (steps of every flow merged by
// id, in flow order), the NPS score and comment. Headers, stages,
// temperatures and answers are in the reader's language.
type exportSheet struct {
	lang    string
	loc     *time.Location
	columns []exportColumn
}

func newExportSheet(lang string, loc *time.Location, fs map[string]*flows.Flow, managerName func(int64) string) *exportSheet {
	x := &exportSheet{lang: lang, loc: loc}
	col := func(key string, cell func(r crm.ExportRow) any) {
		x.columns = append(x.columns, exportColumn{header: TeamText(lang, "col."+key), cell: cell})
	}
	at := func(t *time.Time) any {
		if t == nil {
			return nil
		}
		return *t
	}
	col("lead", func(r crm.ExportRow) any { return r.Lead.ID })
	col("created", func(r crm.ExportRow) any { return r.Lead.CreatedAt })
	col("stage", func(r crm.ExportRow) any { return StageName(lang, r.Lead.Stage) })
	col("temperature", func(r crm.ExportRow) any { return TemperatureName(lang, r.Lead.Temperature) })
	col("score", func(r crm.ExportRow) any { return r.Lead.Score })
	col("flow", func(r crm.ExportRow) any { return r.Lead.FlowID })
	col("source", func(r crm.ExportRow) any { return r.Lead.Attribution.Source })
	col("medium", func(r crm.ExportRow) any { return r.Lead.Attribution.Medium })
	col("campaign", func(r crm.ExportRow) any { return r.Lead.Attribution.Campaign })
	col("landing", func(r crm.ExportRow) any { return r.Lead.Attribution.Landing })
	col("referrer", func(r crm.ExportRow) any { return r.Lead.Attribution.Referrer })
	col("payload", func(r crm.ExportRow) any { return r.Lead.Attribution.Payload })
	col("rep", func(r crm.ExportRow) any { return managerName(r.ManagerID) })
	col("qualified", func(r crm.ExportRow) any { return at(r.Lead.QualifiedAt) })
	col("claimed", func(r crm.ExportRow) any { return at(r.ClaimedAt) })
	col("contacted", func(r crm.ExportRow) any { return at(r.ContactedAt) })
	col("won", func(r crm.ExportRow) any { return at(r.WonAt) })
	col("lost", func(r crm.ExportRow) any { return at(r.LostAt) })
	col("amount", func(r crm.ExportRow) any {
		if r.WonAt == nil {
			return nil
		}
		return exportAmount(r.Amount)
	})
	col("lost_reason", func(r crm.ExportRow) any { return r.Lead.LostReason })
	col("name", func(r crm.ExportRow) any { return strings.TrimSpace(r.Contact.FirstName + " " + r.Contact.LastName) })
	col("username", func(r crm.ExportRow) any { return r.Contact.Username })
	col("phone", func(r crm.ExportRow) any { return r.Contact.Phone })
	col("email", func(r crm.ExportRow) any { return r.Contact.Email })
	col("language", func(r crm.ExportRow) any { return r.Contact.Language })
	for _, st := range exportSteps(fs) {
		x.columns = append(x.columns, exportColumn{header: fieldNameIn(st, lang), cell: func(r crm.ExportRow) any {
			i := slices.IndexFunc(r.Answers, func(a crm.Answer) bool { return a.StepID == st.ID })
			if i < 0 {
				return nil
			}
			v := r.Answers[i].Value
			if f := fs[r.Lead.FlowID]; f != nil {
				if own := f.Step(st.ID); own != nil {
					return answerText(f, own, v, lang)
				}
			}
			return v
		}})
	}
	col("win", func(r crm.ExportRow) any {
		if r.WinProbability == nil {
			return nil
		}
		return math.Round(*r.WinProbability*10000) / 10000
	})
	col("nps", func(r crm.ExportRow) any {
		if r.NPS == nil {
			return nil
		}
		return *r.NPS
	})
	col("nps_comment", func(r crm.ExportRow) any { return r.NPSComment })
	col("messages", func(r crm.ExportRow) any { return r.Messages })
	return x
}

// exportSteps is the question steps of every flow, merged by id: a step
// id is one column whichever flows ask it. Flows in id order, steps in
// each flow's order.
func exportSteps(fs map[string]*flows.Flow) []*flows.Step {
	ids := make([]string, 0, len(fs))
	for id := range fs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	var out []*flows.Step
	seen := map[string]bool{}
	for _, id := range ids {
		for _, st := range fs[id].Steps {
			if st == nil || st.Kind == flows.KindEnd || seen[st.ID] {
				continue
			}
			seen[st.ID] = true
			out = append(out, st)
		}
	}
	return out
}

// answerText is a stored answer as the team reads it: option labels in the
// team's language when the flow has it, else in the flow's first.
func answerText(f *flows.Flow, st *flows.Step, value, lang string) string {
	if value == "" {
		return ""
	}
	if slices.Contains(f.Languages, TeamLang(lang)) {
		return f.AnswerText(st, value, TeamLang(lang))
	}
	return f.AnswerText(st, value, "")
}

func (x *exportSheet) header() []string {
	out := make([]string, len(x.columns))
	for i, c := range x.columns {
		out[i] = c.header
	}
	return out
}

func (x *exportSheet) row(r crm.ExportRow) []any {
	out := make([]any, len(x.columns))
	for i, c := range x.columns {
		v := c.cell(r)
		if t, ok := v.(time.Time); ok {
			// A spreadsheet's times have no zone: the wall clock of the
			// reader's zone, which the export's caption names.
			w := t.In(x.loc)
			v = time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), 0, time.UTC)
		}
		out[i] = v
	}
	return out
}

// exportFile writes the period's leads in format and returns the file, its
// name and how many leads it holds.
func (s *Team) exportFile(ctx context.Context, m crm.Manager, p crm.Period, format string) ([]byte, string, int, error) {
	lang := s.lang(m)
	x := newExportSheet(lang, p.Loc, s.cfg.Flows, s.cfg.Stats.ManagerName)
	name := "leads-" + p.From.In(p.Loc).Format(time.DateOnly) + "--" + p.To.In(p.Loc).AddDate(0, 0, -1).Format(time.DateOnly) + "." + format
	var buf bytes.Buffer
	buf.Grow(1 << 20) // a week's leads; a month's grows it a few times, not twenty
	var n int
	var err error
	if format == exportCSV {
		n, err = x.writeCSV(ctx, &buf, CSVSeparator(lang), s.cfg.Stats, m, p)
	} else {
		n, err = x.writeXLSX(ctx, &buf, s.cfg.Stats, m, p)
	}
	if err != nil {
		return nil, "", n, err
	}
	return buf.Bytes(), name, n, nil
}

// writeCSV writes the sheet as CSV with sep between fields. The file
// starts with a UTF-8 byte order mark so that Excel reads Cyrillic as
// text instead of mojibake; other tools ignore it. Times are
// "2006-01-02 15:04" (the reader's zone), which Excel reads as dates in
// every locale; amounts have a decimal point.
func (x *exportSheet) writeCSV(ctx context.Context, w io.Writer, sep rune, st *crm.Stats, m crm.Manager, p crm.Period) (int, error) {
	if _, err := io.WriteString(w, "\uFEFF"); err != nil {
		return 0, err
	}
	cw := csv.NewWriter(w)
	cw.Comma = sep
	if err := cw.Write(x.header()); err != nil {
		return 0, err
	}
	n, err := st.Export(ctx, m, p, func(r crm.ExportRow) error {
		row := x.row(r)
		rec := make([]string, len(row))
		for i, v := range row {
			switch v := v.(type) {
			case nil:
			case string:
				rec[i] = cell(v)
			case time.Time:
				rec[i] = v.Format("2006-01-02 15:04")
			case exportAmount:
				rec[i] = strconv.FormatFloat(float64(v), 'f', 2, 64)
			case float64:
				rec[i] = strconv.FormatFloat(v, 'f', -1, 64)
			default:
				rec[i] = fmt.Sprint(v)
			}
		}
		return cw.Write(rec)
	})
	if err != nil {
		return n, err
	}
	cw.Flush()
	return n, cw.Error()
}

// writeXLSX writes the sheet as an Excel workbook, streamed row by row (a
// hundred thousand leads stay a few tens of megabytes of memory): dates
// as dates, amounts and scores as numbers, the header row frozen and
// bold.
func (x *exportSheet) writeXLSX(ctx context.Context, w io.Writer, st *crm.Stats, m crm.Manager, p crm.Period) (int, error) {
	f := excelize.NewFile()
	defer f.Close()
	sheet := TeamText(x.lang, "sheet.leads")
	if err := f.SetSheetName("Sheet1", sheet); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	dateFmt := "yyyy-mm-dd hh:mm"
	if x.lang == LangRU {
		dateFmt = "dd.mm.yyyy hh:mm"
	}
	dateStyle, err := f.NewStyle(&excelize.Style{CustomNumFmt: &dateFmt})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	boldStyle, err := f.NewStyle(&excelize.Style{Font: &excelize.Font{Bold: true}})
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	sw, err := f.NewStreamWriter(sheet)
	if err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	if err := sw.SetPanes(&excelize.Panes{Freeze: true, YSplit: 1, TopLeftCell: "A2", ActivePane: "bottomLeft"}); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	hdr := make([]any, len(x.columns))
	for i, h := range x.header() {
		hdr[i] = excelize.Cell{Value: h, StyleID: boldStyle}
	}
	if err := sw.SetRow("A1", hdr); err != nil {
		return 0, fmt.Errorf("export: %w", err)
	}
	line := 1
	n, err := st.Export(ctx, m, p, func(r crm.ExportRow) error {
		line++
		row := x.row(r)
		for i, v := range row {
			switch v := v.(type) {
			case time.Time:
				row[i] = excelize.Cell{Value: v, StyleID: dateStyle}
			case exportAmount:
				row[i] = float64(v)
			}
		}
		ref, err := excelize.CoordinatesToCellName(1, line)
		if err != nil {
			return err
		}
		return sw.SetRow(ref, row)
	})
	if err != nil {
		return n, err
	}
	if err := sw.Flush(); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	if _, err := f.WriteTo(w); err != nil {
		return n, fmt.Errorf("export: %w", err)
	}
	return n, nil
}

// cell defuses a text that a spreadsheet would run as a formula (CSV
// injection): customers choose their names and start links, and a name
// like "=HYPERLINK(...)" must stay text. Phones are E.164 and written as
// they are, since their "+" is data.
func cell(s string) string {
	if s != "" && strings.ContainsRune("=+-@\t\r", rune(s[0])) && !isPhone(s) {
		return "'" + s
	}
	return s
}

// isPhone reports whether s is an E.164 number as stored: "+" and digits.
func isPhone(s string) bool {
	if len(s) < 3 || s[0] != '+' {
		return false
	}
	for _, r := range s[1:] {
		if r < '0' || r > '9' {
			return false
		}
	}
	return true
}
