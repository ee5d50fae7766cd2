package rest

import (
	"errors"
	"net/http"

	"github.com/labstack/echo/v5"

	"github.com/centralita/centralita"
)

// statusOf maps a domain error kind to its HTTP status: the one place the
// HTTP facades translate errors.
func statusOf(kind centralita.Kind) int {
	switch kind {
	case centralita.EINVALID:
		return http.StatusBadRequest
	case centralita.ENOTFOUND:
		return http.StatusNotFound
	case centralita.ECONFLICT:
		return http.StatusConflict
	case centralita.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case centralita.EFORBIDDEN:
		return http.StatusForbidden
	case centralita.ELIMITED:
		return http.StatusTooManyRequests
	case centralita.EUNAVAILABLE:
		return http.StatusServiceUnavailable
	}
	return http.StatusInternalServerError
}

// ErrorBody is the JSON body of an error answered by Centralita's own API.
// Compatibility facades write their own documented shapes instead.
type ErrorBody struct {
	Error   centralita.Kind `json:"error"`
	Message string          `json:"message"`
}

// handleError answers an error: domain errors by kind, echo's own HTTP
// errors (404, 405, 413) by their status, anything else as 500.
func (s *Server) handleError(c *echo.Context, err error) {
	if r, _ := echo.UnwrapResponse(c.Response()); r != nil && r.Committed {
		return
	}
	var body ErrorBody
	var status int
	var sc echo.HTTPStatusCoder
	var de *centralita.Error
	switch {
	case errors.As(err, &de):
		status, body = statusOf(de.Kind), ErrorBody{Error: de.Kind, Message: de.Message}
	case errors.As(err, &sc) && sc.StatusCode() != 0:
		status = sc.StatusCode()
		body = ErrorBody{Error: kindOfStatus(status), Message: http.StatusText(status)}
	default:
		status, body = http.StatusInternalServerError, ErrorBody{Error: centralita.EINTERNAL, Message: "internal error"}
	}
	switch body.Error {
	case centralita.EUNAUTHORIZED:
		c.Response().Header().Set("WWW-Authenticate", `Basic realm="centralita", charset="UTF-8"`)
	case centralita.ELIMITED:
		c.Response().Header().Set("Retry-After", "30")
	}
	if c.Request().Method == http.MethodHead {
		_ = c.NoContent(status)
		return
	}
	_ = c.JSON(status, body)
}

// kindOfStatus names the domain kind closest to an HTTP status.
func kindOfStatus(status int) centralita.Kind {
	switch status {
	case http.StatusNotFound, http.StatusMethodNotAllowed:
		return centralita.ENOTFOUND
	case http.StatusUnauthorized:
		return centralita.EUNAUTHORIZED
	case http.StatusForbidden:
		return centralita.EFORBIDDEN
	case http.StatusTooManyRequests:
		return centralita.ELIMITED
	case http.StatusServiceUnavailable:
		return centralita.EUNAVAILABLE
	}
	if status >= 400 && status < 500 {
		return centralita.EINVALID
	}
	return centralita.EINTERNAL
}
