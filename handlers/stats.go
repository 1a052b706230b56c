package handlers

import (
	"context"
	"encoding/csv"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/track"
)

// Reporter builds engagement reports (track.BuildReport on the store,
// with the campaign's variants filled in).
type Reporter interface {
	Report(ctx context.Context, q track.ReportQuery) (*track.Report, error)
}

// Report limits.
const (
	maxReportDays     = 400
	defaultReportDays = 30
	// MinReportCount is K: cells with fewer unique subjects are hidden.
	MinReportCount = 10
)

// getStats reports a campaign's engagement between ?from= and ?to= (UTC
// dates, to exclusive; the last 30 days by default), broken down by
// ?by= (any of variant, locale, platform, day), as JSON or, with
// ?format=csv, CSV. A platform token sees its own platform only.
func (s *Server) getStats(c *fiber.Ctx) error {
	q, err := reportQuery(c, time.Now())
	if err != nil {
		return err
	}
	if p := principal(c); p.Role == auth.RolePlatform {
		q.Platform = p.Platform
	}
	ctx, cancel := context.WithTimeout(c.UserContext(), 10*time.Second)
	defer cancel()
	rep, err := s.Reports.Report(ctx, q)
	if err != nil {
		return err
	}
	if c.Query("format") == "csv" {
		c.Set(fiber.HeaderContentType, "text/csv; charset=utf-8")
		c.Set(fiber.HeaderContentDisposition, `attachment; filename="`+q.Campaign+`-stats.csv"`)
		return writeCSV(c, rep)
	}
	return c.JSON(rep)
}

func reportQuery(c *fiber.Ctx, now time.Time) (track.ReportQuery, error) {
	q := track.ReportQuery{Campaign: strings.Clone(c.Params("id")), MinCount: MinReportCount}
	today := now.UTC().Truncate(24 * time.Hour)
	q.To, q.From = today.AddDate(0, 0, 1), today.AddDate(0, 0, 1-defaultReportDays)
	for _, p := range []struct {
		name string
		dst  *time.Time
	}{{"from", &q.From}, {"to", &q.To}} {
		if v := c.Query(p.name); v != "" {
			t, err := time.Parse("2006-01-02", v)
			if err != nil {
				return q, errorf(fiber.StatusBadRequest, "invalid_date", p.name+" must be a date such as 2026-11-29")
			}
			*p.dst = t
		}
	}
	if !q.From.Before(q.To) {
		return q, errorf(fiber.StatusBadRequest, "invalid_range", "from must be before to")
	}
	if q.To.Sub(q.From) > maxReportDays*24*time.Hour {
		return q, errorf(fiber.StatusBadRequest, "invalid_range", fmt.Sprintf("a report covers at most %d days", maxReportDays))
	}
	if by := c.Query("by"); by != "" {
		for _, d := range strings.Split(by, ",") {
			d = strings.TrimSpace(d)
			if !track.ValidDimension(d) {
				return q, errorf(fiber.StatusBadRequest, "invalid_by", "by takes variant, locale, platform and day, separated by commas")
			}
			if !slices.Contains(q.By, d) {
				q.By = append(q.By, strings.Clone(d))
			}
		}
	}
	if q.By == nil {
		q.By = []string{}
	}
	return q, nil
}

// csvColumns are the CSV's columns, the JSON's figures in order.
var csvColumns = []string{"variant", "locale", "platform", "day", "served", "impressions", "clicks", "dismissals", "continues",
	"unique_reach", "ctr", "dismiss_rate", "desistance"}

// writeCSV writes the rows and the total with the JSON's columns: one
// "clicks:<action>" column per action seen. A suppressed cell reads "<10".
func writeCSV(c *fiber.Ctx, rep *track.Report) error {
	rows := append(slices.Clone(rep.Rows), rep.Total)
	var actions []string
	for _, r := range rows {
		for a := range r.ClicksBy {
			if !slices.Contains(actions, a) {
				actions = append(actions, a)
			}
		}
	}
	slices.Sort(actions)
	header := slices.Clone(csvColumns)
	for _, a := range actions {
		header = append(header, "clicks:"+a)
	}
	w := csv.NewWriter(c)
	_ = w.Write(header)
	hidden := "<" + strconv.Itoa(MinReportCount)
	num := func(suppressed bool, v *int64) string {
		switch {
		case suppressed:
			return hidden
		case v == nil:
			return ""
		}
		return strconv.FormatInt(*v, 10)
	}
	rate := func(suppressed bool, v *float64) string {
		switch {
		case suppressed:
			return hidden
		case v == nil:
			return ""
		}
		return strconv.FormatFloat(*v, 'f', 6, 64)
	}
	for i, r := range rows {
		cell := []string{r.Variant, r.Locale, r.Platform, r.Day}
		if i == len(rows)-1 {
			cell = []string{"total", "", "", ""}
		}
		f, sup := r.Figures, r.Suppressed
		line := append(cell, num(sup, f.Served), num(sup, f.Impressions), num(sup, f.Clicks), num(sup, f.Dismissals),
			num(sup, f.Continues), num(sup, f.Reach), rate(sup, f.CTR), rate(sup, f.DismissRate), rate(sup, f.Desistance))
		for _, a := range actions {
			n := f.ClicksBy[a]
			line = append(line, num(sup, &n))
		}
		_ = w.Write(line)
	}
	w.Flush()
	return w.Error()
}
