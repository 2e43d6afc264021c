package postgres

import (
	"context"
	"errors"
	"net"
	"strconv"

	"github.com/jackc/pgx/v5"
)

// Addr is the host:port a connection URL points at, so a caller can tell
// "nothing listens" from a slow server before connecting.
func Addr(url string) (string, error) {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return "", errors.New("parse database url: invalid connection string")
	}
	return net.JoinHostPort(cc.Host, strconv.Itoa(int(cc.Port))), nil
}

// Ping opens one connection to url, pings the server and closes it: the
// probe the embedded defaults run before they decide to start a server.
func Ping(ctx context.Context, url string) error {
	cc, err := pgx.ParseConfig(url)
	if err != nil {
		return errors.New("parse database url: invalid connection string")
	}
	conn, err := pgx.ConnectConfig(ctx, cc)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	return conn.Ping(ctx)
}

// CreateDatabase creates database name through the server at url (a
// superuser's connection), for the embedded defaults' new cluster.
func CreateDatabase(ctx context.Context, url, name string) error {
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = conn.Exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize())
	return err
}
