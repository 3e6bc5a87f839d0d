package main

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/steward-os/steward/channels/discord/discordtest"
	"github.com/steward-os/steward/channels/slack/slacktest"
	"github.com/steward-os/steward/channels/telegram/telegramtest"
)

// The secrets planted in the masking tests. None has a well-known token
// shape, so only the masker's configured secrets can remove them.
var planted = map[string]string{
	"user token":             "alice-planted-Zq81mLw0pT4v",
	"telegram poll token":    "4242:planted-tg-poll-token",
	"telegram hook token":    "4343:planted-tg-hook-token",
	"telegram hook secret":   "planted-tg-webhook-secret",
	"slack socket bot token": "slack-planted-sock-bot-token",
	"slack app token":        "slack-planted-sock-app-token",
	"slack events bot token": "slack-planted-events-bot-token",
	"slack signing secret":   "planted-slack-signing-secret",
	"discord gateway token":  "planted.discord.gateway.token",
	"discord http token":     "planted.discord.http.token",
}

// plantedEnv is the environment that hands every planted secret to serve.
func plantedEnv() []string {
	return []string{
		"P_USER=" + planted["user token"],
		"P_TG_POLL=" + planted["telegram poll token"], "P_TG_HOOK=" + planted["telegram hook token"], "P_TG_SECRET=" + planted["telegram hook secret"],
		"P_SL_SOCK_BOT=" + planted["slack socket bot token"], "P_SL_SOCK_APP=" + planted["slack app token"],
		"P_SL_EVT_BOT=" + planted["slack events bot token"], "P_SL_SIGNING=" + planted["slack signing secret"],
		"P_DC_GW=" + planted["discord gateway token"], "P_DC_HTTP=" + planted["discord http token"],
	}
}

// plantedArgs make alice's token a configured one (token_env) and turn
// demo tokens off.
var plantedArgs = []string{"--set", "auth.demo_tokens=false", "--set", "tenants.acme.users.alice.token_env=P_USER"}

// botBlocks is a configuration with one bot per platform and mode, each
// talking to its platform at api (the URL of that bot's platform).
func botBlocks(api map[string]string, discordKey string) string {
	return fmt.Sprintf(`
telegram:
  default: {tenant: acme, token_env: P_TG_POLL, api_url: "%s/bot%%s/%%s", poll_timeout: 1s}
  hook: {tenant: acme, token_env: P_TG_HOOK, mode: webhook, webhook_url: "https://bot.example.test/hooks/telegram/hook", secret_env: P_TG_SECRET, api_url: "%s/bot%%s/%%s"}
slack:
  default: {tenant: acme, token_env: P_SL_SOCK_BOT, app_token_env: P_SL_SOCK_APP, api_url: "%s/api/"}
  events: {tenant: acme, mode: events, token_env: P_SL_EVT_BOT, signing_secret_env: P_SL_SIGNING, api_url: "%s/api/"}
discord:
  default: {tenant: acme, token_env: P_DC_GW, api_url: "%s/"}
  http: {tenant: acme, token_env: P_DC_HTTP, public_key: %s, api_url: "%s/"}
`, api["telegram.default"], api["telegram.hook"], api["slack.default"], api["slack.events"], api["discord.default"], discordKey, api["discord.http"])
}

// leaks fails the test for every planted secret in text, naming where.
func leaks(t *testing.T, where, text string) {
	t.Helper()
	for name, v := range planted {
		if i := strings.Index(text, v); i >= 0 {
			lo, hi := max(0, i-120), min(len(text), i+len(v)+40)
			t.Errorf("%s holds the %s: …%s…", where, name, text[lo:hi])
		}
	}
}

// closedURL is a loopback URL nothing listens on: every connection to it
// is refused.
func closedURL(t *testing.T) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	return "http://" + addr
}

// cuttable forwards to a fake platform until cut: from then on its port
// is closed and every call a bot makes through it fails at the network
// level, as when the platform is unreachable.
type cuttable struct{ srv *httptest.Server }

func forward(t *testing.T, target string) *cuttable {
	t.Helper()
	u, err := url.Parse(target)
	if err != nil {
		t.Fatal(err)
	}
	p := httputil.NewSingleHostReverseProxy(u)
	p.ErrorLog = log.New(io.Discard, "", 0) // calls cut off mid-way are expected
	c := &cuttable{srv: httptest.NewServer(p)}
	t.Cleanup(c.cut)
	return c
}

func (c *cuttable) cut() {
	c.srv.CloseClientConnections()
	c.srv.Close()
}

// scanData fails the test for any planted secret in the data directory:
// `steward audit verify`, the audit chain and the fact ledger read back
// row by row, and every file's raw bytes.
func scanData(t *testing.T, data string) {
	t.Helper()
	out, errOut, code := runCmd(t, "", "audit", "verify", "--data", data)
	if code != 0 || strings.Contains(out, "BROKEN") || !strings.Contains(out, "ok      ") {
		t.Errorf("audit verify: exit %d\n%s%s", code, out, errOut)
	}
	leaks(t, "audit verify's output", out+errOut)
	db, err := sql.Open("sqlite", "file:"+filepath.Join(data, "steward.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	for table, q := range map[string]string{
		"the audit chain": `SELECT count(*), coalesce(group_concat(tenant || ' ' || actor || ' ' || kind || ' ' || data || ' ' || hash, char(10)), '') FROM audit`,
		"the fact ledger": `SELECT count(*), coalesce(group_concat(args || ' ' || coalesce(output, '') || ' ' || coalesce(error, ''), char(10)), '') FROM facts`,
	} {
		var n int
		var text string
		if err := db.QueryRow(q).Scan(&n, &text); err != nil {
			t.Fatalf("%s: %v", table, err)
		}
		if table == "the audit chain" && n == 0 {
			t.Errorf("the audit chain is empty")
		}
		leaks(t, table, text)
	}
	_ = filepath.Walk(data, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, _ := os.ReadFile(p)
		leaks(t, p, string(b))
		return nil
	})
}

// ISO-05: every platform unreachable from the start. Each bot fails to
// start, and serve stops with the client's error, whose URL holds the
// Telegram token; neither that error on stderr, nor the log (JSON here),
// nor the audit chain holds any configured secret.
func TestSecretsMaskedWhenStartUpFails(t *testing.T) {
	for _, kv := range plantedEnv() {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v) // the commands run here inherit them
	}
	for _, bot := range []string{"telegram.default", "telegram.hook", "slack.default", "slack.events", "discord.default", "discord.http"} {
		t.Run(bot, func(t *testing.T) {
			t.Parallel()
			api := map[string]string{}
			for _, b := range []string{"telegram.default", "telegram.hook", "slack.default", "slack.events", "discord.default", "discord.http"} {
				api[b] = closedURL(t)
			}
			doc := botBlocks(api, strings.Repeat("ab", 32))
			platform, name, _ := strings.Cut(bot, ".")
			// Keep only this bot: serve stops at the first bot that fails.
			cfg := filepath.Join(t.TempDir(), "steward.yaml")
			if err := os.WriteFile(cfg, []byte(onlyBot(doc, platform, name)), 0o600); err != nil {
				t.Fatal(err)
			}
			data := t.TempDir()
			args := append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data, "--config", cfg, "--set", "log.format=json", "--set", "log.level=debug"}, plantedArgs...)
			out, stderr, code := runCmd(t, "", args...)
			if code == 0 || !strings.Contains(stderr, "steward serve: "+bot+": ") || !strings.Contains(stderr, "connection refused") {
				t.Fatalf("want serve to stop on the unreachable platform; exit %d:\n%s", code, stderr)
			}
			leaks(t, "stderr", stderr)
			leaks(t, "stdout", out)
			scanData(t, data)
		})
	}
}

// onlyBot keeps one bot's line of a botBlocks document.
func onlyBot(doc, platform, name string) string {
	var b strings.Builder
	b.WriteString(platform + ":\n")
	for _, line := range strings.Split(doc, "\n") {
		if strings.HasPrefix(line, "  "+name+": ") && strings.Contains(line, "P_"+map[string]string{"telegram": "TG", "slack": "SL", "discord": "DC"}[platform]) {
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}

// chatFakes are the fake platforms of TestSecretsMaskedWhenPlatformsFail,
// one per bot, each behind a cuttable port.
type chatFakes struct {
	tgPoll, tgHook *telegramtest.Server
	slSock, slEvt  *slacktest.Server
	dcGW, dcHTTP   *discordtest.Server
	ports          []*cuttable
	api            map[string]string
}

func startChatFakes(t *testing.T) *chatFakes {
	f := &chatFakes{
		tgPoll: telegramtest.Start(t, telegramtest.Options{Token: planted["telegram poll token"]}),
		tgHook: telegramtest.Start(t, telegramtest.Options{Token: planted["telegram hook token"]}),
		slSock: slacktest.Start(t, slacktest.Options{BotToken: planted["slack socket bot token"], AppToken: planted["slack app token"]}),
		slEvt:  slacktest.Start(t, slacktest.Options{BotToken: planted["slack events bot token"], SigningSecret: planted["slack signing secret"]}),
		dcGW:   discordtest.Start(t, discordtest.Options{Token: planted["discord gateway token"]}),
		dcHTTP: discordtest.Start(t, discordtest.Options{Token: planted["discord http token"]}),
		api:    map[string]string{},
	}
	for bot, target := range map[string]string{
		"telegram.default": f.tgPoll.URL, "telegram.hook": f.tgHook.URL,
		"slack.default": strings.TrimSuffix(f.slSock.APIURL(), "/api/"), "slack.events": strings.TrimSuffix(f.slEvt.APIURL(), "/api/"),
		"discord.default": strings.TrimSuffix(f.dcGW.APIURL(), "/"), "discord.http": strings.TrimSuffix(f.dcHTTP.APIURL(), "/"),
	} {
		c := forward(t, target)
		f.ports = append(f.ports, c)
		f.api[bot] = c.srv.URL
	}
	return f
}

// ISO-05: every bot starts, then every platform becomes unreachable (its
// port closed): Telegram's getUpdates fails in poll mode, and every send
// fails — replies to a webhook update, a Slack event over HTTP and over
// Socket Mode, Discord messages over the gateway and a press over HTTP.
// alice, whose token is configured, uses the API meanwhile (and pastes
// her token into a message). No configured secret reaches stderr (the
// text log), the audit chain, the fact ledger or any API response.
func TestSecretsMaskedWhenPlatformsFail(t *testing.T) {
	f := startChatFakes(t)
	cfg := filepath.Join(t.TempDir(), "steward.yaml")
	if err := os.WriteFile(cfg, []byte(botBlocks(f.api, f.dcHTTP.PublicKeyHex())), 0o600); err != nil {
		t.Fatal(err)
	}
	data := t.TempDir()
	g, logs := startLogged(t, data, plantedEnv(), append([]string{"--config", cfg, "--set", "log.level=debug"}, plantedArgs...))
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := f.slSock.WaitConnected(ctx); err != nil {
		t.Fatal(err)
	}
	for _, d := range []*discordtest.Server{f.dcGW, f.dcHTTP} {
		if err := d.WaitConnected(10 * time.Second); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range f.ports {
		c.cut()
	}
	user := planted["user token"]
	var answers strings.Builder
	keep := func(status int, m map[string]any) map[string]any {
		b, _ := json.Marshal(m)
		fmt.Fprintf(&answers, "%d %s\n", status, b)
		return m
	}
	code := func() string {
		st, m := g.post(user, "/v1/links", nil)
		if c, _ := keep(st, m)["code"].(string); st == 200 && c != "" {
			return c
		}
		t.Fatalf("link code: %d %v", st, m)
		return ""
	}
	keep(g.post(user, "/v1/messages", map[string]string{"text": "create a task to rotate " + user}))
	keep(g.post(user+"-wrong", "/v1/messages", map[string]string{"text": "hi"}))
	keep(g.get(user, "/v1/tasks"))

	// Telegram, webhook mode: a link and a message; every reply fails.
	alice := telegramtest.User{ID: 555, FirstName: "Alice"}
	for i, text := range []string{"link " + code(), "please rotate " + user} {
		u := telegramtest.Update{UpdateID: 9000 + i, Message: &telegramtest.Message{MessageID: 70 + i, From: &alice, Chat: telegramtest.Private(alice), Date: time.Now().Unix(), Text: text}}
		answers.WriteString(postHook(t, g.base+"/hooks/telegram/hook", u, http.Header{"X-Telegram-Bot-Api-Secret-Token": {planted["telegram hook secret"]}}) + "\n")
	}
	answers.WriteString(postHook(t, g.base+"/hooks/telegram/hook", telegramtest.Update{UpdateID: 9100}, http.Header{"X-Telegram-Bot-Api-Secret-Token": {user}}) + "\n")

	// Slack: the Events API over HTTP, and Socket Mode.
	f.slEvt.SetEventsURL(g.base + "/hooks/slack/events")
	for _, s := range []*slacktest.Server{f.slEvt, f.slSock} {
		_, res, err := s.Message(ctx, slacktest.Message{User: "UALICE", Channel: slacktest.DMChannel("UALICE"), Text: "link " + code()})
		if err != nil {
			t.Fatalf("slack message: %v", err)
		}
		fmt.Fprintf(&answers, "%d %s\n", res.Status, res.Body)
	}

	// Discord: a message over each bot's gateway, and a press over HTTP.
	for _, d := range []*discordtest.Server{f.dcGW, f.dcHTTP} {
		if _, err := d.Say(discordtest.In{Author: discordtest.User{ID: "4242", Username: "alice"}, Content: "link " + code()}); err != nil {
			t.Fatal(err)
		}
	}
	rep, err := f.dcHTTP.PressHTTP(ctx, g.base+"/hooks/discord/http", discordtest.Press{MessageID: "1", CustomID: "a:p_aaaaaaaaaaaaaaaa", User: discordtest.User{ID: "4242", Username: "alice"}})
	fmt.Fprintf(&answers, "%d %s %v\n", rep.Status, rep.Body, err)

	// Each bot's client failed at the network level, and said so in the log.
	for _, bot := range []string{"telegram.default", "telegram.hook", "slack.default", "slack.events", "discord.default", "discord.http"} {
		logs.wait(t, "module=channels."+bot+" ", "connection refused")
	}
	g.stop()
	leaks(t, "stderr (the log)", g.logs.String())
	leaks(t, "the API's and webhooks' answers", answers.String())
	scanData(t, data)
}

// postHook posts an update to a webhook and returns the answer.
func postHook(t *testing.T, target string, body any, h http.Header) string {
	t.Helper()
	b, _ := json.Marshal(body)
	req, _ := http.NewRequest(http.MethodPost, target, bytes.NewReader(b))
	req.Header = h
	req.Header.Set("Content-Type", "application/json")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	raw, _ := io.ReadAll(resp.Body)
	return fmt.Sprintf("%d %s", resp.StatusCode, raw)
}

// syncLog is a process's standard error as it is written, safe to read
// while the process runs; it reports the address serve listens on.
type syncLog struct {
	mu    sync.Mutex
	b     strings.Builder
	addr  chan string
	found bool
}

func (l *syncLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.b.Write(p)
	if l.found {
		return len(p), nil
	}
	if m := reAddr.FindStringSubmatch(l.b.String()); m != nil {
		l.found = true
		l.addr <- m[1] // buffered, sent once
	}
	return len(p), nil
}

func (l *syncLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// wait waits until one line of the log holds every part.
func (l *syncLog) wait(t *testing.T, parts ...string) {
	t.Helper()
	for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(100 * time.Millisecond) {
		for _, line := range strings.Split(l.String(), "\n") {
			all := true
			for _, p := range parts {
				all = all && strings.Contains(line, p)
			}
			if all {
				return
			}
		}
	}
	t.Fatalf("no log line holds %q:\n%s", parts, l)
}

// startLogged starts serve with its standard error readable while it
// runs (the proc's logs are filled once it has exited).
func startLogged(t *testing.T, data string, env, args []string) (*proc, *syncLog) {
	t.Helper()
	lines := &syncLog{addr: make(chan string, 1)}
	cmd := exec.Command(binary, append([]string{"serve", "--addr", "127.0.0.1:0", "--data", data}, args...)...)
	cmd.Env, cmd.Stderr = append(cleanEnv(), env...), lines
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	g := &proc{t: t, cmd: cmd, data: data, logs: &bytes.Buffer{}, done: make(chan error, 1), exited: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		g.logs.WriteString(lines.String())
		close(g.exited)
		g.done <- err
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-g.exited
	})
	select {
	case a := <-lines.addr:
		g.base = "http://" + a
	case <-g.exited:
		t.Fatalf("serve exited\n%s", lines)
	case <-time.After(60 * time.Second):
		t.Fatalf("serve did not start\n%s", lines)
	}
	return g, lines
}
