// Package throttle is the loader's pause switch. Pausing disables the
// dispatcher's queue event source mappings, so new objects wait in their
// SQS queues (14 days) instead of starting executions, and sets the load
// function's reserved concurrency to 0, so executions already running wait
// in their Retry on Lambda.TooManyRequestsException instead of writing to
// a full cluster. Resuming restores both. Nothing is failed or
// dead-lettered by a pause; the loader stopper (a free-storage alarm) and
// an operator use the same switch.
package throttle

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
)

// LambdaAPI is the part of the Lambda API the switch uses.
type LambdaAPI interface {
	ListEventSourceMappings(context.Context, *lambda.ListEventSourceMappingsInput, ...func(*lambda.Options)) (*lambda.ListEventSourceMappingsOutput, error)
	UpdateEventSourceMapping(context.Context, *lambda.UpdateEventSourceMappingInput, ...func(*lambda.Options)) (*lambda.UpdateEventSourceMappingOutput, error)
	PutFunctionConcurrency(context.Context, *lambda.PutFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.PutFunctionConcurrencyOutput, error)
	GetFunctionConcurrency(context.Context, *lambda.GetFunctionConcurrencyInput, ...func(*lambda.Options)) (*lambda.GetFunctionConcurrencyOutput, error)
}

// Switch pauses and resumes one deployment's loading.
type Switch struct {
	Lambda LambdaAPI
	// Dispatcher is the function whose SQS event source mappings are
	// turned off while paused.
	Dispatcher string
	// Loader is the load function; Concurrency its reserved concurrency
	// when running (the global indexing limit, LoadConcurrency).
	Loader      string
	Concurrency int32
}

// State is what the switch found or left.
type State struct {
	Paused bool `json:"paused"`
	// Mappings are the dispatcher's event source mappings (queue ARN ->
	// enabled).
	Mappings map[string]bool `json:"mappings"`
	// LoadConcurrency is the load function's reserved concurrency (-1:
	// none reserved).
	LoadConcurrency int32 `json:"load_concurrency"`
}

// Pause stops new executions and holds running ones. It is idempotent.
func (s Switch) Pause(ctx context.Context) (State, error) {
	if err := s.setMappings(ctx, false); err != nil {
		return State{}, err
	}
	if _, err := s.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(s.Loader), ReservedConcurrentExecutions: aws.Int32(0)}); err != nil {
		return State{}, fmt.Errorf("hold the load function %s: %w", s.Loader, err)
	}
	return s.State(ctx)
}

// Resume restores the load function's concurrency first, then the queues,
// so the first new executions find a loader that runs.
func (s Switch) Resume(ctx context.Context) (State, error) {
	if s.Concurrency <= 0 {
		return State{}, errors.New("resume: no load concurrency configured (LOAD_CONCURRENCY)")
	}
	if _, err := s.Lambda.PutFunctionConcurrency(ctx, &lambda.PutFunctionConcurrencyInput{
		FunctionName: aws.String(s.Loader), ReservedConcurrentExecutions: aws.Int32(s.Concurrency)}); err != nil {
		return State{}, fmt.Errorf("release the load function %s: %w", s.Loader, err)
	}
	if err := s.setMappings(ctx, true); err != nil {
		return State{}, err
	}
	return s.State(ctx)
}

// State reads the switch's position: paused when no mapping is enabled
// or the loader may not run.
func (s Switch) State(ctx context.Context) (State, error) {
	st := State{Mappings: map[string]bool{}, LoadConcurrency: -1}
	maps, err := s.mappings(ctx)
	if err != nil {
		return st, err
	}
	enabled := 0
	for _, m := range maps {
		on := isOn(m.State)
		st.Mappings[aws.ToString(m.EventSourceArn)] = on
		if on {
			enabled++
		}
	}
	c, err := s.Lambda.GetFunctionConcurrency(ctx, &lambda.GetFunctionConcurrencyInput{FunctionName: aws.String(s.Loader)})
	if err != nil {
		return st, fmt.Errorf("read the load function's concurrency: %w", err)
	}
	if c.ReservedConcurrentExecutions != nil {
		st.LoadConcurrency = *c.ReservedConcurrentExecutions
	}
	st.Paused = st.LoadConcurrency == 0 || (len(maps) > 0 && enabled == 0)
	return st, nil
}

// isOn: a mapping being enabled or updated towards enabled counts as on.
func isOn(state *string) bool {
	switch aws.ToString(state) {
	case "Enabled", "Enabling", "Creating", "Updating":
		return true
	}
	return false
}

func (s Switch) mappings(ctx context.Context) ([]types.EventSourceMappingConfiguration, error) {
	var out []types.EventSourceMappingConfiguration
	var marker *string
	for {
		page, err := s.Lambda.ListEventSourceMappings(ctx, &lambda.ListEventSourceMappingsInput{FunctionName: aws.String(s.Dispatcher), Marker: marker})
		if err != nil {
			return nil, fmt.Errorf("list the dispatcher's event source mappings: %w", err)
		}
		out = append(out, page.EventSourceMappings...)
		if page.NextMarker == nil || *page.NextMarker == "" {
			return out, nil
		}
		marker = page.NextMarker
	}
}

func (s Switch) setMappings(ctx context.Context, enabled bool) error {
	maps, err := s.mappings(ctx)
	if err != nil {
		return err
	}
	if len(maps) == 0 {
		return fmt.Errorf("the dispatcher %s has no event source mapping to switch", s.Dispatcher)
	}
	want := "Disabled"
	if enabled {
		want = "Enabled"
	}
	for _, m := range maps {
		if aws.ToString(m.State) == want {
			continue
		}
		if _, err := s.Lambda.UpdateEventSourceMapping(ctx, &lambda.UpdateEventSourceMappingInput{
			UUID: m.UUID, Enabled: aws.Bool(enabled)}); err != nil {
			return fmt.Errorf("switch the event source mapping of %s: %w", aws.ToString(m.EventSourceArn), err)
		}
	}
	return nil
}
