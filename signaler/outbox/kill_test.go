package outbox_test

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"os"
	"os/exec"
	"runtime"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/tradectl/tradectl/internal/config"
	"github.com/tradectl/tradectl/internal/exchange/faketelegram"
	"github.com/tradectl/tradectl/internal/state"
	"github.com/tradectl/tradectl/signaler/notify"
	"github.com/tradectl/tradectl/signaler/outbox"
)

// The kill test re-runs this test binary as a small service (childMain) that ticks and
// delivers, and kills it with SIGKILL.
const (
	envDB   = "TRADECTL_OUTBOX_CHILD_DB"
	envAPI  = "TRADECTL_OUTBOX_CHILD_API"
	envN    = "TRADECTL_OUTBOX_CHILD_N"
	envSeed = "TRADECTL_OUTBOX_CHILD_SEED"
)

func TestMain(m *testing.M) {
	if os.Getenv(envDB) != "" {
		os.Exit(childMain())
	}
	os.Exit(m.Run())
}

func childText(i int) string { return fmt.Sprintf("msg %d", i) }

// childMain is a miniature service: it resumes from the stored progress, replays the last
// tick (whose message the dedup key must keep out), ticks until bar N−1 enqueuing one message
// per bar in the same transaction as the progress, and exits 0 once the outbox is empty.
func childMain() int {
	fail := func(err error) int { fmt.Fprintln(os.Stderr, "child:", err); return 3 }
	n, _ := strconv.Atoi(os.Getenv(envN))
	seed, _ := strconv.ParseUint(os.Getenv(envSeed), 10, 64)
	ctx := context.Background()
	db, err := state.Open(ctx, os.Getenv(envDB), state.Options{})
	if err != nil {
		return fail(err)
	}
	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelError}))
	tg, err := notify.NewTelegram(notify.TelegramConfig{APIURL: os.Getenv(envAPI), Token: config.Secret(token), ChatID: chat,
		Timeout: 10 * time.Second, Logger: log})
	if err != nil {
		return fail(err)
	}
	d := outbox.New(db, tg, outbox.Config{Seed: seed, MinBackoff: 2 * time.Millisecond, MaxBackoff: 20 * time.Millisecond, Logger: log})
	go d.Run(ctx)
	fmt.Println("ready")
	tick := func(i int) (added bool, err error) {
		err = db.Tick(ctx, func(tx *state.Tx) error {
			if err := tx.SetProgress(ctx, "BTCUSDT", "1min", start.Add(time.Duration(i)*time.Minute)); err != nil {
				return err
			}
			_, added, err = tx.Enqueue(ctx, state.Notification{Kind: state.KindText, DedupKey: fmt.Sprintf("k%d", i),
				Text: notify.Plain(childText(i)).Format(notify.HTML), ParseMode: string(notify.HTML)})
			return err
		})
		d.Wake()
		return added, err
	}
	next := 0
	err = db.View(ctx, func(tx *state.Tx) error {
		bar, ok, err := tx.Progress(ctx, "BTCUSDT", "1min")
		if ok {
			next = int(bar.Sub(start)/time.Minute) + 1
		}
		return err
	})
	if err != nil {
		return fail(err)
	}
	if next > 0 {
		if added, err := tick(next - 1); err != nil || added {
			return fail(fmt.Errorf("replaying tick %d: added %v, %v", next-1, added, err))
		}
	}
	for i := next; i < n; i++ {
		if _, err := tick(i); err != nil {
			return fail(err)
		}
		time.Sleep(time.Millisecond)
	}
	for {
		p, err := db.Pending(ctx)
		if err != nil {
			return fail(err)
		}
		if p == 0 {
			return 0
		}
		time.Sleep(2 * time.Millisecond)
	}
}

// startChild starts the miniature service and waits for it to be ready.
func startChild(t *testing.T, path, api string, seed int, stderr *bytes.Buffer, n int) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), envDB+"="+path, envAPI+"="+api, envN+"="+strconv.Itoa(n), envSeed+"="+strconv.Itoa(seed))
	cmd.Stderr = stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || line != "ready\n" {
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("child did not start: %q %v\n%s", line, err, stderr)
	}
	return cmd
}

// TestKill9ResumesWithoutDropOrDuplicate kills the miniature service with SIGKILL at random
// moments while Telegram answers slowly or fails now and then, restarting it each time, and
// then lets it finish. After each kill it reads the state database and the fake's log to find
// the messages inside the documented window (delivered to Telegram, not yet marked sent):
// there is at most one per kill, and it is the head of the queue. In the end every message is
// delivered exactly 1 + (the copies Telegram had when it was last seen in the window) times,
// in order, and none is enqueued twice.
func TestKill9ResumesWithoutDropOrDuplicate(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("SIGKILL")
	}
	kills, n := 14, 150
	if testing.Short() {
		kills, n = 5, 50
	}
	var mu sync.Mutex
	rng := rand.New(rand.NewPCG(2024, 3))
	fake := faketelegram.New(faketelegram.Config{Token: token, ChatID: chat})
	defer fake.Close()
	fake.InjectFunc(func(int, string) faketelegram.Fault {
		mu.Lock()
		x, delay := rng.IntN(100), time.Duration(1+rng.IntN(15))*time.Millisecond
		mu.Unlock()
		switch {
		case x < 6:
			return faketelegram.Fault{Kind: faketelegram.BadGateway}
		case x < 10:
			return faketelegram.Fault{Kind: faketelegram.Down}
		case x < 60:
			return faketelegram.Fault{Kind: faketelegram.SlowAnswer, Delay: delay}
		}
		return faketelegram.Fault{}
	})
	path := state.Path(t.TempDir())
	extra := map[string]int{} // text → copies delivered while unacknowledged (the last time seen)
	windows := 0
	for round := 0; round <= kills; round++ {
		var stderr bytes.Buffer
		cmd := startChild(t, path, fake.URL(), round, &stderr, n)
		if round == kills {
			done := make(chan error, 1)
			go func() { done <- cmd.Wait() }()
			select {
			case err := <-done:
				if err != nil {
					t.Fatalf("final run: %v\n%s", err, stderr.String())
				}
			case <-time.After(60 * time.Second):
				cmd.Process.Kill()
				t.Fatalf("final run did not finish\n%s", stderr.String())
			}
		} else {
			mu.Lock()
			wait := time.Duration(5+rng.IntN(100)) * time.Millisecond
			mu.Unlock()
			time.Sleep(wait)
			cmd.Process.Kill()
			cmd.Wait()
			if stderr.Len() > 0 && bytes.Contains(stderr.Bytes(), []byte("child:")) {
				t.Fatalf("round %d: %s", round, stderr.String())
			}
		}
		// A request already on the wire is counted before the state is compared.
		waitFor(t, "the fake Telegram to be idle", func() bool { return fake.Idle(20 * time.Millisecond) })
		if w := checkWindow(t, path, fake, extra); w {
			windows++
		}
	}
	// Final accounting.
	db, err := state.Open(context.Background(), path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Messages(context.Background())
	db.Close()
	if err != nil || len(rows) != n {
		t.Fatalf("%d outbox rows, %v; want %d (one per bar, none twice)", len(rows), err, n)
	}
	counts := map[string]int{}
	prev, dups := -1, 0
	for _, m := range fake.Messages() {
		counts[m.Visible]++
		var i int
		if _, err := fmt.Sscanf(m.Visible, "msg %d", &i); err != nil || i < prev || i > prev+1 {
			t.Fatalf("delivery order broken: %q after msg %d", m.Visible, prev)
		}
		prev = i
	}
	for i := 0; i < n; i++ {
		k := childText(i)
		if want := 1 + extra[k]; counts[k] != want {
			t.Errorf("%s delivered %d times, want %d", k, counts[k], want)
		}
		dups += extra[k]
		if rows[i].Sent.IsZero() || rows[i].Text != k {
			t.Errorf("row %d: %+v", i, rows[i])
		}
	}
	t.Logf("%d kills, %d of them inside the window; %d messages, %d duplicates, %d requests",
		kills, windows, n, dups, len(fake.Requests()))
}

// checkWindow inspects the state after a kill: every message Telegram has but the database
// does not mark sent is in the window; there may be one, the head of the queue.
func checkWindow(t *testing.T, path string, fake *faketelegram.Server, extra map[string]int) bool {
	t.Helper()
	db, err := state.Open(context.Background(), path, state.Options{})
	if err != nil {
		t.Fatal(err)
	}
	rows, err := db.Messages(context.Background())
	db.Close()
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, m := range fake.Messages() {
		counts[m.Visible]++
	}
	inWindow, head := 0, true
	for _, r := range rows {
		if !r.Sent.IsZero() {
			if counts[r.Text] == 0 {
				t.Fatalf("%s is marked sent but Telegram never got it", r.Text)
			}
			continue
		}
		if counts[r.Text] > 0 {
			inWindow++
			if !head {
				t.Fatalf("%s is in the window but is not the head of the queue", r.Text)
			}
			extra[r.Text] = counts[r.Text]
		}
		head = false
	}
	if inWindow > 1 {
		t.Fatalf("%d messages inside the window after one kill; at most one may be", inWindow)
	}
	return inWindow == 1
}
