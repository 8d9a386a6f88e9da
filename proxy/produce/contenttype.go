package produce

import (
	"mime"
	"strings"

	"github.com/restproxy-dev/restproxy-operator/proxy/apierror"
)

// CheckContentType accepts application/json (any case) with no charset, or
// with charset UTF-8 or ISO-8859-1, and answers the others as the reference
// does: 400 for a bad charset, 415 for anything else. It reports whether the
// body is Latin-1, which the server then transcodes to UTF-8.
func CheckContentType(header string) (latin1 bool, err *apierror.Error) {
	if strings.EqualFold(header, "application/json") {
		return false, nil // what nearly every client sends: no parse
	}
	mediaType, params, perr := mime.ParseMediaType(header)
	if perr != nil || mediaType != "application/json" {
		return false, apierror.New(apierror.UnsupportedMediaType)
	}
	charset, ok := params["charset"]
	switch {
	case !ok, strings.EqualFold(charset, "UTF-8"):
		return false, nil
	case strings.EqualFold(charset, "ISO-8859-1"):
		return true, nil
	default:
		return false, apierror.New(apierror.UnsupportedCharset)
	}
}
