package store

import (
	"database/sql/driver"
	"errors"
	"net"
	"syscall"

	"github.com/go-sql-driver/mysql"
	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/centralita/centralita"
)

// translateMySQL maps MariaDB/MySQL errors to domain kinds.
func translateMySQL(err error) error {
	var me *mysql.MySQLError
	if errors.As(err, &me) {
		switch me.Number {
		case 1062, 1586: // ER_DUP_ENTRY, ER_DUP_ENTRY_WITH_KEY_NAME
			return centralita.WrapError(centralita.ECONFLICT, err, "duplicate")
		case 1406, 1264: // data too long for column, out of range (strict mode)
			return centralita.WrapError(centralita.EINVALID, err, "a value is too long or out of range")
		case 1451, 1452: // foreign key: row referenced / parent missing
			return centralita.WrapError(centralita.EINVALID, err, "refers to something that does not exist or is still in use")
		case 1040, 1205, 1213, 2006, 2013: // too many connections, lock wait timeout, deadlock, gone away, lost
			return centralita.WrapError(centralita.EUNAVAILABLE, err, "database busy or unreachable")
		}
		return err
	}
	var ne net.Error
	if errors.Is(err, driver.ErrBadConn) || errors.Is(err, mysql.ErrInvalidConn) || errors.As(err, &ne) || errors.Is(err, syscall.ECONNREFUSED) {
		return centralita.WrapError(centralita.EUNAVAILABLE, err, "database unreachable")
	}
	return err
}

// translateSQLite maps SQLite errors to domain kinds.
func translateSQLite(err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
			return centralita.WrapError(centralita.ECONFLICT, err, "duplicate")
		case sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY:
			return centralita.WrapError(centralita.EINVALID, err, "refers to something that does not exist or is still in use")
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
			return centralita.WrapError(centralita.EUNAVAILABLE, err, "database busy")
		}
	}
	return err
}
