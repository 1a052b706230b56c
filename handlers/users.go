package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/gofiber/fiber/v2"

	"signpost/auth"
	"signpost/store"
)

// UserAdmin stores and lists people's accounts.
type UserAdmin interface {
	CreateUser(ctx context.Context, u store.User) error
	ListUsers(ctx context.Context) ([]store.User, error)
}

type userRequest struct {
	Name     string `json:"name"`
	Role     string `json:"role"`
	Platform string `json:"platform"`
	Password string `json:"password"`
}

type userResponse struct {
	ID        string    `json:"id"`
	Name      string    `json:"name"`
	Role      string    `json:"role"`
	Platform  string    `json:"platform,omitempty"`
	CreatedAt time.Time `json:"created_at"`
}

func newUserResponse(u store.User) userResponse {
	return userResponse{ID: u.ID, Name: u.Name, Role: u.Role, Platform: u.Platform, CreatedAt: u.CreatedAt}
}

// postUser creates an account for a person to sign in to the web UI. The
// password is hashed with argon2id at once and never stored or logged.
func (s *Server) postUser(c *fiber.Ctx) error {
	var req userRequest
	if err := decodeStrictJSON(c, &req); err != nil {
		return err
	}
	u, err := auth.NewUser(req.Name, req.Role, req.Platform, req.Password, time.Now())
	if err != nil {
		return errorf(fiber.StatusBadRequest, "invalid_user", err.Error())
	}
	if err := s.Users.CreateUser(c.UserContext(), u); err != nil {
		if errors.Is(err, store.ErrUnavailable) {
			return err
		}
		return errorf(fiber.StatusConflict, "exists", "a user with this name exists")
	}
	s.audit(c, "user_created", " "+u.ID+" ("+u.Role+")")
	return c.Status(fiber.StatusCreated).JSON(newUserResponse(u))
}

// listUsers lists accounts, never their password hashes.
func (s *Server) listUsers(c *fiber.Ctx) error {
	list, err := s.Users.ListUsers(c.UserContext())
	if err != nil {
		return err
	}
	out := make([]userResponse, len(list))
	for i, u := range list {
		out[i] = newUserResponse(u)
	}
	return c.JSON(fiber.Map{"users": out})
}
