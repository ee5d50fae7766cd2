#!/usr/bin/env bash
# Installs and starts what `make test` needs on a Debian machine with Go:
# MariaDB server (listening on 127.0.0.1:3306, root with an empty password,
# the test machines' convention) and Debian's python3-zeep (the third-party
# SOAP client the SOAP tests drive), and sox with its MP3 format plus lame
# (the recordings engine converts WAV to MP3 with them). Installs with apt
# when run as root;
# otherwise says what is missing and fails.
set -euo pipefail

missing=()
[ -x /usr/sbin/mariadbd ] || command -v mariadbd >/dev/null 2>&1 || missing+=(mariadb-server)
command -v mariadb >/dev/null 2>&1 || missing+=(mariadb-client)
/usr/bin/python3 -c 'import zeep' >/dev/null 2>&1 || missing+=(python3-zeep)
command -v sox >/dev/null 2>&1 || missing+=(sox)
command -v lame >/dev/null 2>&1 || missing+=(lame)
dpkg -s libsox-fmt-mp3 >/dev/null 2>&1 || missing+=(libsox-fmt-mp3)

if ((${#missing[@]})); then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null 2>&1; then
    echo "test-deps: missing ${missing[*]}: run 'make test' as root on Debian, or install them" >&2
    exit 1
  fi
  echo "test-deps: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

port_open() { (exec 3<>/dev/tcp/127.0.0.1/3306) >/dev/null 2>&1; }

if ! port_open; then
  if [ "$(id -u)" -ne 0 ]; then
    echo "test-deps: nothing listens on 127.0.0.1:3306 and starting MariaDB needs root" >&2
    exit 1
  fi
  echo "test-deps: starting MariaDB"
  install -d -o mysql -g mysql /run/mysqld
  if [ ! -d /var/lib/mysql/mysql ]; then
    mariadb-install-db --user=mysql --datadir=/var/lib/mysql >/dev/null
  fi
  start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1 --port=3306
  for _ in $(seq 1 120); do port_open && break; sleep 0.5; done
  port_open || { echo "test-deps: MariaDB did not start on 127.0.0.1:3306" >&2; exit 1; }
fi

# The tests log in as root over TCP with no password. A fresh Debian install
# only lets root in through the unix socket: allow the empty password too.
if ! mariadb --protocol=tcp -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null 2>&1; then
  if [ "$(id -u)" -eq 0 ]; then
    mariadb -uroot -e "ALTER USER 'root'@'localhost' IDENTIFIED VIA unix_socket OR mysql_native_password USING PASSWORD('')"
  fi
  mariadb --protocol=tcp -h127.0.0.1 -P3306 -uroot -e 'SELECT 1' >/dev/null || {
    echo "test-deps: cannot log in to MariaDB at 127.0.0.1:3306 as root with an empty password" >&2
    exit 1
  }
fi
mariadb --protocol=tcp -h127.0.0.1 -P3306 -uroot -e 'CREATE DATABASE IF NOT EXISTS centralita_test CHARACTER SET utf8mb4'
echo "test-deps: MariaDB ready on 127.0.0.1:3306; python3-zeep $(/usr/bin/python3 -c 'import zeep; print(zeep.__version__)')"
