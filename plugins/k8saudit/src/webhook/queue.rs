//! The bounded queue between the webhook and the plugin, with all-or-nothing admission.
//!
//! The plugin reads a plain `crossbeam_channel::Receiver`, so the queue cannot learn when a slot
//! frees up; admission therefore polls the channel's length. One request at a time (FIFO, via an
//! async mutex) waits until the channel has room for *all* its events, then sends them; as only
//! the admission holder sends, those sends cannot find the channel full, so a request is never
//! partially queued.

use std::time::Duration;

use crossbeam_channel::{Sender, TrySendError};
use thiserror::Error;
use tokio::sync::Mutex;
use tokio::time::{sleep, timeout_at, Instant};

use super::AuditEvent;

/// How often a waiting request looks for free room in a full queue.
const QUEUE_POLL_INTERVAL: Duration = Duration::from_millis(1);

/// Why a request's events were not queued (none of them were).
#[derive(Debug, Error, PartialEq, Eq)]
pub enum QueueError {
    #[error(
        "the request holds {events} audit events but the queue holds at most {capacity}; \
         send smaller batches (e.g. lower --audit-webhook-batch-max-size)"
    )]
    TooManyEvents { events: usize, capacity: usize },
    #[error(
        "the event queue had no room for this request's {events} events within {waited:?} \
         (the consumer is behind); retry later"
    )]
    Full { events: usize, waited: Duration },
    #[error("the event queue is closed: the plugin stopped reading events")]
    Closed,
}

pub(crate) struct EventQueue {
    sender: Sender<AuditEvent>,
    capacity: usize,
    /// Held by the one request that may currently wait for room and send.
    admission: Mutex<()>,
}

impl EventQueue {
    pub(crate) fn new(sender: Sender<AuditEvent>, capacity: usize) -> Self {
        Self {
            sender,
            capacity,
            admission: Mutex::new(()),
        }
    }

    /// Queues all `events` or none, waiting at most `max_wait` for room.
    pub(crate) async fn enqueue_all(&self, events: Vec<AuditEvent>, max_wait: Duration) -> Result<(), QueueError> {
        let count = events.len();
        if count > self.capacity {
            return Err(QueueError::TooManyEvents {
                events: count,
                capacity: self.capacity,
            });
        }
        if count == 0 {
            return Ok(());
        }
        let full = QueueError::Full {
            events: count,
            waited: max_wait,
        };
        let deadline = Instant::now() + max_wait;
        let Ok(_admission) = timeout_at(deadline, self.admission.lock()).await else {
            return Err(full);
        };
        while self.capacity - self.sender.len() < count {
            let now = Instant::now();
            if now >= deadline {
                return Err(full);
            }
            sleep(QUEUE_POLL_INTERVAL.min(deadline - now)).await;
        }
        for event in events {
            match self.sender.try_send(event) {
                Ok(()) => {}
                // Impossible while we hold admission: only we send and room was checked.
                Err(TrySendError::Full(_)) => unreachable!("admission holder found the queue full"),
                Err(TrySendError::Disconnected(_)) => return Err(QueueError::Closed),
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn events(n: usize) -> Vec<AuditEvent> {
        (0..n)
            .map(|i| AuditEvent {
                timestamp_ns: i as u64,
                json: bytes::Bytes::from_static(b"{}"),
            })
            .collect()
    }

    fn runtime() -> tokio::runtime::Runtime {
        tokio::runtime::Builder::new_current_thread()
            .enable_time()
            .build()
            .unwrap()
    }

    #[test]
    fn a_request_is_queued_whole_or_not_at_all() {
        let (sender, receiver) = crossbeam_channel::bounded(5);
        let queue = EventQueue::new(sender, 5);
        let rt = runtime();
        rt.block_on(queue.enqueue_all(events(3), Duration::from_millis(5)))
            .unwrap();
        let refused = rt.block_on(queue.enqueue_all(events(3), Duration::from_millis(20)));
        assert!(matches!(refused, Err(QueueError::Full { events: 3, .. })));
        assert_eq!(receiver.len(), 3, "nothing of the refused request was queued");
        assert_eq!(
            rt.block_on(queue.enqueue_all(events(6), Duration::from_millis(5))),
            Err(QueueError::TooManyEvents { events: 6, capacity: 5 })
        );
        receiver.recv().unwrap();
        rt.block_on(queue.enqueue_all(events(3), Duration::from_millis(5)))
            .unwrap();
        assert_eq!(receiver.len(), 5);
    }

    #[test]
    fn a_waiting_request_gets_in_when_the_consumer_drains() {
        let (sender, receiver) = crossbeam_channel::bounded(2);
        let queue = EventQueue::new(sender, 2);
        let rt = runtime();
        rt.block_on(queue.enqueue_all(events(2), Duration::ZERO)).unwrap();
        let consumer = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            let drained: Vec<_> = (0..4).map(|_| receiver.recv().unwrap()).collect();
            drained
        });
        rt.block_on(queue.enqueue_all(events(2), Duration::from_secs(10)))
            .unwrap();
        drop(queue);
        let stamps: Vec<u64> = consumer.join().unwrap().iter().map(|e| e.timestamp_ns).collect();
        assert_eq!(stamps, [0, 1, 0, 1]);
    }
}
