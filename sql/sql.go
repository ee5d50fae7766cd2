// Package sql embeds Centralita's database migrations, one folder per dialect.
package sql

import (
	"embed"
	"fmt"
	"io/fs"
)

//go:embed mysql/*.sql sqlite/*.sql
var migrations embed.FS

// Migrations returns the goose migrations for a dialect, "mysql" or "sqlite".
func Migrations(dialect string) (fs.FS, error) {
	switch dialect {
	case "mysql", "sqlite":
		return fs.Sub(migrations, dialect)
	}
	return nil, fmt.Errorf("sql: no migrations for dialect %q", dialect)
}
