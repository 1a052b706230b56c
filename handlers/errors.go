package handlers

import (
	"errors"
	"log/slog"

	"github.com/gofiber/fiber/v2"
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
)

// errorBody is the JSON error shape of every error response.
type errorBody struct {
	Error struct {
		Code    string `json:"code"`
		Message string `json:"message"`
	} `json:"error"`
}

// ErrorHandler maps every error a handler returns to a status and the JSON
// error body, in one place. Unexpected errors are logged (they never carry
// request text) and answered with a generic 500.
func ErrorHandler(log *slog.Logger) fiber.ErrorHandler {
	return func(c *fiber.Ctx, err error) error {
		var body errorBody
		status := fiber.StatusInternalServerError
		var e *Error
		var fe *fiber.Error
		switch {
		case errors.As(err, &e):
			status, body.Error.Code, body.Error.Message = e.Status, e.Code, e.Message
		case errors.As(err, &fe):
			status, body.Error.Code, body.Error.Message = fe.Code, codeForStatus(fe.Code), fe.Message
		default:
			body.Error.Code, body.Error.Message = "internal", "internal error"
			log.Error("request failed", "route", c.Route().Path, "method", c.Method(), "err", err)
		}
		return c.Status(status).JSON(body)
	}
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
