package handlers

import (
	"errors"
	"net/http/httptest"
	"net/url"
	"testing"
	"time"

	"github.com/gofiber/fiber/v2"
)

// FuzzReportQuery: the stats API's query parameters are outside input;
// whatever they hold, reportQuery answers a valid query or a 400, and a
// valid query stays within the limits.
func FuzzReportQuery(f *testing.F) {
	f.Add("2026-11-01", "2026-12-01", "variant,locale")
	f.Add("2026-12-01", "2026-11-01", "day")
	f.Add("", "", "subject")
	f.Add("2025-01-01", "2026-12-31", "variant,variant,,day")
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	app := fiber.New()
	app.Get("/s/:id", func(c *fiber.Ctx) error {
		q, err := reportQuery(c, now)
		if err != nil {
			var e *Error
			if !errors.As(err, &e) || e.Status != fiber.StatusBadRequest {
				return fiber.NewError(fiber.StatusTeapot, "not a 400: "+err.Error())
			}
			return c.SendStatus(fiber.StatusBadRequest)
		}
		if !q.From.Before(q.To) || q.To.Sub(q.From) > maxReportDays*24*time.Hour || len(q.By) > 4 {
			return fiber.NewError(fiber.StatusTeapot, "query out of bounds")
		}
		return c.SendStatus(fiber.StatusOK)
	})
	f.Fuzz(func(t *testing.T, from, to, by string) {
		if len(from)+len(to)+len(by) > 512 {
			t.Skip("longer than a request line the server reads") // fasthttp refuses it before any handler
		}
		v := url.Values{"from": {from}, "to": {to}, "by": {by}}
		resp, err := app.Test(httptest.NewRequest("GET", "/s/c?"+v.Encode(), nil), -1)
		if err != nil {
			t.Fatal(err)
		}
		if resp.StatusCode != fiber.StatusOK && resp.StatusCode != fiber.StatusBadRequest {
			t.Fatalf("from=%q to=%q by=%q: status %d", from, to, by, resp.StatusCode)
		}
	})
}
