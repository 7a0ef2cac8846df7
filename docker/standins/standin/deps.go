package main

import (
	"bufio"
	"context"
	"crypto/hmac"
	"crypto/md5"
	"crypto/pbkdf2"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

const depTimeout = 5 * time.Second

// checkDeps talks to every dependency the way Langfuse does, with the configured credentials:
// Postgres (DATABASE_URL), ClickHouse over HTTP (CLICKHOUSE_URL, _USER, _PASSWORD) and its native
// port (CLICKHOUSE_MIGRATION_URL), Redis (REDIS_CONNECTION_STRING) and the S3 event bucket.
func checkDeps(ctx context.Context, getenv func(string) string) error {
	ctx, cancel := context.WithTimeout(ctx, 4*depTimeout)
	defer cancel()
	var errs []error
	if err := checkPostgres(ctx, getenv("DATABASE_URL")); err != nil {
		errs = append(errs, fmt.Errorf("postgres: %w", err))
	}
	if err := checkClickHouseHTTP(ctx, getenv("CLICKHOUSE_URL"), getenv("CLICKHOUSE_USER"), getenv("CLICKHOUSE_PASSWORD")); err != nil {
		errs = append(errs, fmt.Errorf("clickhouse: %w", err))
	}
	if u := getenv("CLICKHOUSE_MIGRATION_URL"); u != "" {
		if err := checkTCP(ctx, u, "9000"); err != nil {
			errs = append(errs, fmt.Errorf("clickhouse native: %w", err))
		}
	}
	if err := checkRedis(ctx, getenv("REDIS_CONNECTION_STRING")); err != nil {
		errs = append(errs, fmt.Errorf("redis: %w", err))
	}
	if err := checkBucket(ctx, getenv("LANGFUSE_S3_EVENT_UPLOAD_ENDPOINT"), getenv("LANGFUSE_S3_EVENT_UPLOAD_BUCKET")); err != nil {
		errs = append(errs, fmt.Errorf("s3: %w", err))
	}
	return errors.Join(errs...)
}

// dialURL parses a server URL and connects to its host, on defaultPort when the URL names none.
func dialURL(ctx context.Context, rawURL, defaultPort string) (net.Conn, *url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		return nil, nil, err
	}
	host := u.Host
	if u.Port() == "" {
		host = net.JoinHostPort(u.Hostname(), defaultPort)
	}
	d := net.Dialer{Timeout: depTimeout}
	conn, err := d.DialContext(ctx, "tcp", host)
	if err != nil {
		return nil, nil, err
	}
	conn.SetDeadline(time.Now().Add(depTimeout))
	return conn, u, nil
}

func checkTCP(ctx context.Context, rawURL, defaultPort string) error {
	conn, _, err := dialURL(ctx, rawURL, defaultPort)
	if err != nil {
		return err
	}
	return conn.Close()
}

func checkClickHouseHTTP(ctx context.Context, base, user, password string) error {
	q := url.Values{"query": {"SELECT 1"}, "user": {user}, "password": {password}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, strings.TrimRight(base, "/")+"/?"+q.Encode(), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: depTimeout}).Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 1024))
	if resp.StatusCode != http.StatusOK || strings.TrimSpace(string(body)) != "1" {
		return fmt.Errorf("SELECT 1: %s %s", resp.Status, strings.TrimSpace(string(body)))
	}
	return nil
}

func checkBucket(ctx context.Context, endpoint, bucket string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodHead, strings.TrimRight(endpoint, "/")+"/"+url.PathEscape(bucket), nil)
	if err != nil {
		return err
	}
	resp, err := (&http.Client{Timeout: depTimeout}).Do(req)
	if err != nil {
		return err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("bucket %q: %s", bucket, resp.Status)
	}
	return nil
}

// checkRedis sends AUTH, SELECT and PING in RESP, as any Redis client does.
func checkRedis(ctx context.Context, rawURL string) error {
	conn, u, err := dialURL(ctx, rawURL, "6379")
	if err != nil {
		return err
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	cmd := func(args ...string) (string, error) {
		var b strings.Builder
		fmt.Fprintf(&b, "*%d\r\n", len(args))
		for _, a := range args {
			fmt.Fprintf(&b, "$%d\r\n%s\r\n", len(a), a)
		}
		if _, err := io.WriteString(conn, b.String()); err != nil {
			return "", err
		}
		line, err := r.ReadString('\n')
		if err != nil {
			return "", err
		}
		line = strings.TrimRight(line, "\r\n")
		if strings.HasPrefix(line, "-") {
			return "", fmt.Errorf("%s: %s", args[0], line[1:])
		}
		return line, nil
	}
	if pw, ok := u.User.Password(); ok {
		authArgs := []string{"AUTH", pw}
		if name := u.User.Username(); name != "" {
			authArgs = []string{"AUTH", name, pw}
		}
		if _, err := cmd(authArgs...); err != nil {
			return err
		}
	}
	if db := strings.TrimPrefix(u.Path, "/"); db != "" {
		if _, err := cmd("SELECT", db); err != nil {
			return err
		}
	}
	pong, err := cmd("PING")
	if err != nil {
		return err
	}
	if pong != "+PONG" {
		return fmt.Errorf("PING answered %q", pong)
	}
	return nil
}

// checkPostgres opens a session with the URL's user, password and database (protocol 3.0;
// cleartext, MD5 or SCRAM-SHA-256 authentication) and waits for ReadyForQuery.
func checkPostgres(ctx context.Context, rawURL string) error {
	conn, u, err := dialURL(ctx, rawURL, "5432")
	if err != nil {
		return err
	}
	defer conn.Close()
	user := u.User.Username()
	password, _ := u.User.Password()
	database := strings.TrimPrefix(u.Path, "/")
	if database == "" {
		database = user
	}
	pg := &pgConn{w: conn, r: bufio.NewReader(conn)}

	var startup []byte
	startup = binary.BigEndian.AppendUint32(startup, 196608) // protocol 3.0
	for _, kv := range [][2]string{{"user", user}, {"database", database}} {
		startup = append(append(append(append(startup, kv[0]...), 0), kv[1]...), 0)
	}
	startup = append(startup, 0)
	if err := pg.send(0, startup); err != nil {
		return err
	}
	var scram *scramClient
	for {
		typ, body, err := pg.recv()
		if err != nil {
			return err
		}
		switch typ {
		case 'E':
			return fmt.Errorf("server error: %s", pgErrorText(body))
		case 'Z': // ReadyForQuery
			return pg.send('X', nil)
		case 'R':
			if len(body) < 4 {
				return errors.New("short authentication message")
			}
			code, rest := binary.BigEndian.Uint32(body), body[4:]
			switch code {
			case 0: // AuthenticationOk
			case 3: // cleartext
				if err := pg.send('p', append([]byte(password), 0)); err != nil {
					return err
				}
			case 5: // MD5: "md5" + md5(md5(password + user) + salt)
				inner := md5.Sum([]byte(password + user))
				outer := md5.Sum(append([]byte(hex.EncodeToString(inner[:])), rest[:4]...))
				if err := pg.send('p', append([]byte("md5"+hex.EncodeToString(outer[:])), 0)); err != nil {
					return err
				}
			case 10: // SASL: mechanisms offered
				if !strings.Contains(string(rest), "SCRAM-SHA-256\x00") {
					return fmt.Errorf("no supported SASL mechanism in %q", rest)
				}
				scram = newScramClient("", password, "") // Postgres takes the user from the startup message
				first := scram.clientFirst()
				msg := append([]byte("SCRAM-SHA-256\x00"), binary.BigEndian.AppendUint32(nil, uint32(len(first)))...)
				if err := pg.send('p', append(msg, first...)); err != nil {
					return err
				}
			case 11: // SASLContinue
				if scram == nil {
					return errors.New("SASLContinue before SASL")
				}
				final, err := scram.clientFinal(string(rest))
				if err != nil {
					return err
				}
				if err := pg.send('p', []byte(final)); err != nil {
					return err
				}
			case 12: // SASLFinal
				if scram == nil || !scram.verifyServer(string(rest)) {
					return errors.New("server signature does not match")
				}
			default:
				return fmt.Errorf("authentication method %d not supported", code)
			}
		}
	}
}

type pgConn struct {
	w io.Writer
	r *bufio.Reader
}

func (c *pgConn) send(typ byte, body []byte) error {
	var msg []byte
	if typ != 0 {
		msg = append(msg, typ)
	}
	msg = binary.BigEndian.AppendUint32(msg, uint32(len(body)+4))
	_, err := c.w.Write(append(msg, body...))
	return err
}

func (c *pgConn) recv() (byte, []byte, error) {
	var head [5]byte
	if _, err := io.ReadFull(c.r, head[:]); err != nil {
		return 0, nil, err
	}
	n := int(binary.BigEndian.Uint32(head[1:])) - 4
	if n < 0 || n > 1<<20 {
		return 0, nil, fmt.Errorf("bad message length %d", n)
	}
	body := make([]byte, n)
	_, err := io.ReadFull(c.r, body)
	return head[0], body, err
}

// pgErrorText picks the message field (M) of an ErrorResponse.
func pgErrorText(body []byte) string {
	for _, f := range strings.Split(string(body), "\x00") {
		if strings.HasPrefix(f, "M") {
			return f[1:]
		}
	}
	return string(body)
}

// scramClient is the client side of SCRAM-SHA-256 (RFC 5802, RFC 7677) without channel binding.
type scramClient struct {
	password, nonce, clientFirstBare, authMessage string
	saltedPassword                                []byte
}

func newScramClient(user, password, nonce string) *scramClient {
	if nonce == "" {
		b := make([]byte, 18)
		rand.Read(b)
		nonce = base64.StdEncoding.EncodeToString(b)
	}
	return &scramClient{password: password, nonce: nonce, clientFirstBare: "n=" + user + ",r=" + nonce}
}

func (s *scramClient) clientFirst() string { return "n,," + s.clientFirstBare }

func (s *scramClient) clientFinal(serverFirst string) (string, error) {
	attrs := map[string]string{}
	for _, part := range strings.Split(serverFirst, ",") {
		if k, v, ok := strings.Cut(part, "="); ok {
			attrs[k] = v
		}
	}
	salt, err := base64.StdEncoding.DecodeString(attrs["s"])
	if err != nil {
		return "", fmt.Errorf("scram salt: %w", err)
	}
	iter, err := strconv.Atoi(attrs["i"])
	if err != nil || iter < 1 {
		return "", fmt.Errorf("scram iteration count %q", attrs["i"])
	}
	if !strings.HasPrefix(attrs["r"], s.nonce) {
		return "", errors.New("scram: server nonce does not extend ours")
	}
	s.saltedPassword, err = pbkdf2.Key(sha256.New, s.password, salt, iter, sha256.Size)
	if err != nil {
		return "", err
	}
	withoutProof := "c=biws,r=" + attrs["r"]
	s.authMessage = s.clientFirstBare + "," + serverFirst + "," + withoutProof
	clientKey := hmacSHA256(s.saltedPassword, "Client Key")
	storedKey := sha256.Sum256(clientKey)
	sig := hmacSHA256(storedKey[:], s.authMessage)
	proof := make([]byte, len(clientKey))
	for i := range clientKey {
		proof[i] = clientKey[i] ^ sig[i]
	}
	return withoutProof + ",p=" + base64.StdEncoding.EncodeToString(proof), nil
}

func (s *scramClient) verifyServer(serverFinal string) bool {
	want := hmacSHA256(hmacSHA256(s.saltedPassword, "Server Key"), s.authMessage)
	got, err := base64.StdEncoding.DecodeString(strings.TrimPrefix(serverFinal, "v="))
	return err == nil && hmac.Equal(got, want)
}

func hmacSHA256(key []byte, msg string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(msg))
	return m.Sum(nil)
}
