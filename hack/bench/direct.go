package main

import (
	"context"
	"sync/atomic"
	"time"

	"github.com/segmentio/kafka-go"

	"github.com/restproxy-dev/restproxy-operator/proxy/config"
)

// writeDirect produces the record set again and again with a kafka-go
// Writer configured as the proxy configures its own from cfg (acks=all,
// linger, batch size and bytes, murmur2 on the keys, asynchronous with a
// completion callback, the same bound on records in flight), until
// deadline, then waits for every acknowledgement. It is the ceiling a
// proxy built on kafka-go could reach on this broker and machine.
func writeDirect(broker, topic string, cfg config.Config, rs *recordSet, deadline time.Time, tl *tally) {
	maxInFlight := int64(cfg.HTTP.MaxInFlightTotal)
	var inFlight atomic.Int64
	wake := make(chan struct{}, 1)
	w := &kafka.Writer{
		Addr:         kafka.TCP(broker),
		Topic:        topic,
		Balancer:     &kafka.Murmur2Balancer{},
		RequiredAcks: kafka.RequireAll,
		BatchSize:    cfg.Producer.BatchMaxRecords,
		BatchBytes:   int64(cfg.Producer.BatchMaxBytes),
		BatchTimeout: time.Duration(cfg.Producer.LingerMs) * time.Millisecond,
		Async:        true,
		Completion: func(msgs []kafka.Message, err error) {
			tl.reportN(len(msgs), err)
			inFlight.Add(-int64(len(msgs)))
			select {
			case wake <- struct{}{}:
			default:
			}
		},
	}
	msgs := make([]kafka.Message, len(rs.json))
	for i := range msgs {
		msgs[i] = kafka.Message{Key: rs.keys[i], Value: rs.value}
	}
	ctx := context.Background()
	for time.Now().Before(deadline) {
		for inFlight.Load() > maxInFlight {
			select {
			case <-wake:
			case <-time.After(100 * time.Millisecond):
			}
		}
		inFlight.Add(int64(len(msgs)))
		if err := w.WriteMessages(ctx, msgs...); err != nil {
			tl.fail(err)
			inFlight.Add(-int64(len(msgs)))
			break
		}
		tl.sent.Add(int64(len(msgs)))
	}
	if err := w.Close(); err != nil {
		tl.fail(err)
	}
}
