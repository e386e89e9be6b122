#!/bin/sh
# The PostgreSQL container runs this once, when its data volume is new: the two roles of
# docs/deployment.md ("PostgreSQL: two roles") and the database, owned by the owner role.
# Their passwords are the ones in the two database URL secrets, so each is written once.
set -eu

password_of() {
	# postgres://role:password@host:port/db -> password (URL-safe passwords only)
	sed -n 's#^postgres[a-z]*://[^:/@]*:\([^@]*\)@.*#\1#p' "$1"
}

owner_password=$(password_of /run/secrets/owner_database_url)
app_password=$(password_of /run/secrets/database_url)
if [ -z "$owner_password" ] || [ -z "$app_password" ]; then
	echo "owner_database_url and database_url must each hold postgres://role:password@postgres:5432/coresponder" >&2
	exit 1
fi

psql -v ON_ERROR_STOP=1 --username "$POSTGRES_USER" --dbname postgres \
	-v owner_password="$owner_password" -v app_password="$app_password" <<'SQL'
CREATE ROLE coresponder_owner LOGIN PASSWORD :'owner_password';
CREATE ROLE coresponder_app LOGIN PASSWORD :'app_password';
CREATE DATABASE coresponder OWNER coresponder_owner;
SQL
