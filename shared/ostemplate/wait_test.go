package ostemplate

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

type flaky struct {
	answers []int // statuses in turn; 0 = connection error
	calls   int
}

func (f *flaky) Request(_ context.Context, method, path string, _ []byte) (int, []byte, error) {
	a := f.answers[min(f.calls, len(f.answers)-1)]
	f.calls++
	if a == 0 {
		return 0, nil, errors.New("connection refused")
	}
	return a, []byte("not ready"), nil
}

func TestWaitReady(t *testing.T) {
	ctx := context.Background()
	f := &flaky{answers: []int{0, 503, 401}}
	if err := WaitReady(ctx, f, time.Second, time.Millisecond); err != nil || f.calls != 3 {
		t.Errorf("became ready: %v after %d calls", err, f.calls)
	}
	f = &flaky{answers: []int{503}}
	if err := WaitReady(ctx, f, 20*time.Millisecond, 5*time.Millisecond); err == nil || !strings.Contains(err.Error(), "HTTP 503: not ready") || f.calls < 2 {
		t.Errorf("never ready: %v after %d calls", err, f.calls)
	}
	f = &flaky{answers: []int{0}}
	if err := WaitReady(ctx, f, 10*time.Millisecond, 5*time.Millisecond); err == nil || !strings.Contains(err.Error(), "connection refused") {
		t.Errorf("unreachable: %v", err)
	}
}
