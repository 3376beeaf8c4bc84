package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"
)

const (
	region      = "us-east-1"
	adminKeyID  = "AKIABENCHADMIN000001"
	adminSecret = "bench-admin-secret-key-00000000000000000"
	startLimit  = 30 * time.Second
)

// moduleRoot lets `go run ./bench` work from any directory inside the module.
func moduleRoot() (string, error) {
	out, err := exec.Command("go", "env", "GOMOD").Output()
	if err != nil {
		return "", fmt.Errorf("go env GOMOD: %w", err)
	}
	mod := strings.TrimSpace(string(out))
	if mod == "" || mod == os.DevNull {
		return "", errors.New("not inside the openpca module")
	}
	return filepath.Dir(mod), nil
}

func goBuild(root, out, pkg string) error {
	cmd := exec.Command("go", "build", "-o", out, pkg)
	cmd.Dir = root
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("go build %s: %w", pkg, err)
	}
	return nil
}

// process is a server running as a subprocess. Its stderr is read for the
// whole of its life: the server logs every request, and a pipe nobody reads
// would block it.
type process struct {
	cmd     *exec.Cmd
	addr    string
	started time.Time
	done    chan error
	mu      sync.Mutex
	tail    []string // the last lines of stderr, for error messages
}

var listeningAddr = regexp.MustCompile(`msg="?openpca listening"? addr=(\S+)`)

// startServer runs `openpca serve` on a free loopback port and returns once
// it has logged its address.
func startServer(binary, dataDir string, extra ...string) (*process, error) {
	args := append([]string{"serve", "--listen", "127.0.0.1:0", "--data-dir", dataDir}, extra...)
	cmd := exec.Command(binary, args...)
	cmd.Env = append(os.Environ(), "OPENPCA_ACCESS_KEY_ID="+adminKeyID, "OPENPCA_SECRET_ACCESS_KEY="+adminSecret)
	return startProc(cmd, listeningAddr)
}

func startProc(cmd *exec.Cmd, addrLine *regexp.Regexp) (*process, error) {
	p := &process{cmd: cmd, done: make(chan error, 1)}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	p.started = time.Now()
	if err := cmd.Start(); err != nil {
		return nil, err
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		found := false
		for sc.Scan() {
			line := sc.Text()
			if !found {
				if m := addrLine.FindStringSubmatch(line); m != nil {
					found = true
					addrc <- m[1]
				}
			}
			p.mu.Lock()
			p.tail = append(p.tail, line)
			if len(p.tail) > 50 {
				p.tail = p.tail[len(p.tail)-50:]
			}
			p.mu.Unlock()
		}
		io.Copy(io.Discard, stderr)
		p.done <- cmd.Wait()
	}()
	select {
	case p.addr = <-addrc:
		return p, nil
	case err := <-p.done:
		return nil, fmt.Errorf("%s exited before listening: %v\n%s", filepath.Base(cmd.Path), err, p.logs())
	case <-time.After(startLimit):
		cmd.Process.Kill()
		<-p.done
		return nil, fmt.Errorf("%s did not start listening within %s\n%s", filepath.Base(cmd.Path), startLimit, p.logs())
	}
}

func (p *process) pid() int { return p.cmd.Process.Pid }

func (p *process) logs() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.tail, "\n")
}

// stop sends SIGTERM and waits for the exit, killing after a grace period.
func (p *process) stop() error {
	if p.cmd.ProcessState != nil {
		return nil
	}
	// A Ctrl-C in the terminal reaches the server too; it may be gone already.
	if err := p.cmd.Process.Signal(syscall.SIGTERM); err != nil && !errors.Is(err, os.ErrProcessDone) {
		return err
	}
	select {
	case err := <-p.done:
		if err != nil {
			return fmt.Errorf("exit after SIGTERM: %v\n%s", err, p.logs())
		}
		return nil
	case <-time.After(30 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
		return errors.New("no exit within 30s of SIGTERM; killed")
	}
}

// waitHealthy returns once GET /healthz answers 200. The listener is bound
// before the address is logged, so the first request normally succeeds; the
// loop only covers a server that is slow to start answering.
func waitHealthy(addr string, deadline time.Duration) error {
	client := &http.Client{Timeout: 2 * time.Second}
	end := time.Now().Add(deadline)
	for {
		resp, err := client.Get("http://" + addr + "/healthz")
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
			err = fmt.Errorf("status %d", resp.StatusCode)
		}
		if time.Now().After(end) {
			return fmt.Errorf("/healthz: %v", err)
		}
		time.Sleep(time.Millisecond)
	}
}

// clockTick is the unit of utime/stime in /proc/PID/stat.
var clockTick = sync.OnceValue(func() time.Duration {
	out, err := exec.Command("getconf", "CLK_TCK").Output()
	if err == nil {
		if hz, err := strconv.Atoi(strings.TrimSpace(string(out))); err == nil && hz > 0 {
			return time.Second / time.Duration(hz)
		}
	}
	return 10 * time.Millisecond
})

// processCPU is the CPU time (user+system) of every thread of pid, live or
// exited. /proc/PID/schedstat would be finer-grained but only covers the
// main thread, which for a Go program is a small part of the work; the
// tick granularity of /proc/PID/stat (10 ms) is well under 1% of a run's
// CPU time.
func processCPU(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	// The command name may hold spaces and parentheses; fields resume after the last ')'.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	if i < 0 {
		return 0, errors.New("malformed /proc stat")
	}
	f := strings.Fields(s[i+1:])
	// f[0] is field 3 (state); utime and stime are fields 14 and 15.
	if len(f) < 13 {
		return 0, errors.New("short /proc stat")
	}
	ut, err1 := strconv.ParseInt(f[11], 10, 64)
	st, err2 := strconv.ParseInt(f[12], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return 0, err
	}
	return time.Duration(ut+st) * clockTick(), nil
}

// selfCPU is this process's own CPU time, for the in-process baselines.
func selfCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// vmRSS reads the resident set size of pid in bytes.
func vmRSS(pid int) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			f := strings.Fields(rest)
			if len(f) >= 1 {
				kb, err := strconv.ParseInt(f[0], 10, 64)
				return kb << 10, err
			}
		}
	}
	return 0, errors.New("no VmRSS")
}

// loadAvg is the 1-minute load average, printed so that a reader can tell
// a run on a busy machine from one on an idle machine.
func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if f := strings.Fields(string(b)); err == nil && len(f) > 0 {
		return f[0]
	}
	return "unknown"
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "unknown"
	}
	for _, line := range strings.Split(string(b), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "model name" {
			return strings.TrimSpace(v)
		}
	}
	return "unknown"
}

type startResult struct {
	start, version               time.Duration // medians
	startSamples, versionSamples []time.Duration
	rss, idleRSS                 int64 // bytes
	stopErrors                   []string
}

// measureStart times `openpca serve` from exec to its first 200 on /healthz
// over an already initialised data directory (a restart, the common case;
// the untimed first start creates the database and keys), against the bare
// exec → exit of `openpca version`. It then measures idle RSS of the server
// and of the minimal net/http server in bench/idle, each 1 s after its
// first /healthz.
func measureStart(ctx context.Context, binary, idleBinary, dataDir string, runs int) (startResult, error) {
	var res startResult
	first, err := startServer(binary, dataDir, "--pprof")
	if err != nil {
		return res, err
	}
	if err := waitHealthy(first.addr, startLimit); err != nil {
		first.stop()
		return res, err
	}
	if err := first.stop(); err != nil {
		return res, fmt.Errorf("first start: %w", err)
	}
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		p, err := startServer(binary, dataDir, "--pprof")
		if err != nil {
			return res, err
		}
		if err := waitHealthy(p.addr, startLimit); err != nil {
			p.stop()
			return res, err
		}
		res.startSamples = append(res.startSamples, time.Since(p.started))
		if i == runs-1 {
			// The last start stays up for the idle RSS reading.
			time.Sleep(time.Second)
			res.rss, err = vmRSS(p.pid())
			if err != nil {
				p.stop()
				return res, err
			}
		}
		if err := p.stop(); err != nil {
			res.stopErrors = append(res.stopErrors, err.Error())
		}
	}
	for i := 0; i < runs && ctx.Err() == nil; i++ {
		t0 := time.Now()
		if err := exec.Command(binary, "version").Run(); err != nil {
			return res, fmt.Errorf("openpca version: %w", err)
		}
		res.versionSamples = append(res.versionSamples, time.Since(t0))
	}
	if len(res.startSamples) == 0 || len(res.versionSamples) == 0 {
		return res, ctx.Err()
	}
	res.start = median(res.startSamples)
	res.version = median(res.versionSamples)

	idle, err := startProc(exec.Command(idleBinary), regexp.MustCompile(`listening addr=(\S+)`))
	if err != nil {
		return res, err
	}
	defer idle.stop()
	if err := waitHealthy(idle.addr, startLimit); err != nil {
		return res, err
	}
	time.Sleep(time.Second)
	res.idleRSS, err = vmRSS(idle.pid())
	return res, err
}

func median(d []time.Duration) time.Duration {
	s := slices.Clone(d)
	slices.Sort(s)
	return s[len(s)/2]
}
