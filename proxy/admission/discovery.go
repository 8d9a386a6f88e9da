package admission

import (
	"github.com/labstack/echo/v4"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// Authenticate returns the refusal of a request without valid credentials
// of the configured type, or nil: the first check of the read-only
// discovery endpoints, which name no topic to authorize (Admit is the
// produce endpoint's check).
func (ac *Access) Authenticate(c echo.Context) *apierror.Error { return ac.authenticate(c) }

// Allowed reports whether authorization.topics lets clients see and
// produce to topic.
func (ac *Access) Allowed(topic string) bool { return ac.allowed(topic) }
