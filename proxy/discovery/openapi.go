package discovery

import (
	_ "embed"
	"net/http"

	"github.com/labstack/echo/v4"
)

// OpenAPI is this server's OpenAPI 3.0 document: every endpoint, every
// status each answers, the error shape. docs/openapi.json is its source, of
// which openapi.json here is a copy (go:embed cannot reach docs/), kept
// equal by a test.
//
//go:generate cp ../../docs/openapi.json openapi.json
//go:embed openapi.json
var OpenAPI []byte

// serveOpenAPI answers GET /v3/openapi.json.
func serveOpenAPI(c echo.Context) error {
	return c.Blob(http.StatusOK, "application/json", OpenAPI)
}
