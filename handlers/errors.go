package handlers

import (
	"errors"
	"fmt"
	"log/slog"
	"strings"

	"github.com/gofiber/fiber/v2"

	"signpost/editing"
	"signpost/messages"
)

// Error is an error with an HTTP status and a stable code for clients.
// Its message is shown to the caller, so it never contains request text.
type Error struct {
	Status  int
	Code    string
	Message string
}

func (e *Error) Error() string { return e.Code + ": " + e.Message }

func errorf(status int, code, msg string) *Error {
	return &Error{Status: status, Code: code, Message: msg}
}

// Errors the handlers share.
var (
	errUnauthorized = errorf(fiber.StatusUnauthorized, "unauthorized", "a valid bearer token is required")
	errForbidden    = errorf(fiber.StatusForbidden, "forbidden", "this token's role may not use this route")
	errRateLimited  = errorf(fiber.StatusTooManyRequests, "rate_limited", "too many requests for this token: retry after the time in Retry-After")
)

// errorBody is the JSON error shape of every error response. Problems
// lists each thing an editor must fix when an upload or campaign is
// invalid.
type errorBody struct {
	Error struct {
		Code     string             `json:"code"`
		Message  string             `json:"message"`
		Problems []messages.Problem `json:"problems,omitempty"`
	} `json:"error"`
}

// ErrorHandler maps every error a handler returns to a status and the JSON
// error body, in one place. Unexpected errors are logged (they never carry
// request text) and answered with a generic 500.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		status, body := describe(err)
		if status == fiber.StatusInternalServerError && body.Error.Code == "internal" {
			log.Error("request failed", "route", c.Route().Path, "method", c.Method(), "err", err)
		}
		return c.Status(status).JSON(body)
	}
}

// describe maps an error to its status and error body: the one mapping
// that the JSON API and the UI pages share.
func describe(err error) (int, errorBody) {
	var body errorBody
	status := fiber.StatusInternalServerError
	var e *Error
	var fe *fiber.Error
	var ve *messages.ValidationError
	switch {
	case errors.As(err, &ve):
		status, body.Error.Code = validationStatus(ve)
		body.Error.Problems = ve.List()
		body.Error.Message = fmt.Sprintf("%d problem(s) to fix; each is listed in problems", len(body.Error.Problems))
	case errors.Is(err, editing.ErrNotFound):
		status, body.Error.Code, body.Error.Message = fiber.StatusNotFound, "not_found", "no such campaign, rule set, version or file"
	case errors.Is(err, editing.ErrConflict):
		status, body.Error.Code, body.Error.Message = fiber.StatusPreconditionFailed, "stale",
			"it changed since your copy (its ETag moved on): GET it again and reapply your change"
	case errors.Is(err, editing.ErrTwoPerson):
		status, body.Error.Code, body.Error.Message = fiber.StatusForbidden, "two_person_rule",
			"you made the last change, so another editor must publish it"
	case errors.Is(err, editing.ErrState):
		_, msg, _ := strings.Cut(err.Error(), editing.ErrState.Error()+": ")
		status, body.Error.Code, body.Error.Message = fiber.StatusConflict, "invalid_state", msg
	case errors.As(err, &e):
		status, body.Error.Code, body.Error.Message = e.Status, e.Code, e.Message
	case errors.As(err, &fe):
		status, body.Error.Code, body.Error.Message = fe.Code, codeForStatus(fe.Code), fe.Message
	default:
		body.Error.Code, body.Error.Message = "internal", "internal error"
	}
	return status, body
}

// validationStatus is 400 when the JSON itself is malformed or has unknown
// fields, and 422 when it is well-formed but invalid.
func validationStatus(ve *messages.ValidationError) (int, string) {
	for _, p := range ve.Problems {
		var de *messages.DefinitionError
		if errors.As(p, &de) && de.Err != nil {
			return fiber.StatusBadRequest, "invalid_json"
		}
	}
	return fiber.StatusUnprocessableEntity, "invalid"
}

func codeForStatus(status int) string {
	switch status {
	case fiber.StatusNotFound:
		return "not_found"
	case fiber.StatusMethodNotAllowed:
		return "method_not_allowed"
	case fiber.StatusRequestEntityTooLarge:
		return "too_large"
	case fiber.StatusBadRequest:
		return "bad_request"
	case fiber.StatusUnsupportedMediaType:
		return "unsupported_media_type"
	case fiber.StatusRequestTimeout:
		return "timeout"
	}
	return "error"
}
