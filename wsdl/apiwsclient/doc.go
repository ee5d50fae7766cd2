// Package apiwsclient is the gowsdl-generated Go client of the apiws SOAP service; regenerate it with `go generate ./wsdl`.
package apiwsclient
