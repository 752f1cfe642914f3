use std::os::unix::net::UnixDatagram;

use super::*;
use crate::outputs::{Outputs, QueueOptions};

#[test]
fn alerts_reach_a_datagram_socket_with_user_facility_and_priority() {
    let path = std::env::temp_dir().join(format!("saker-syslog-{}.sock", std::process::id()));
    let _ = std::fs::remove_file(&path);
    let daemon = UnixDatagram::bind(&path).unwrap();
    let mut outputs = Outputs::new(
        vec![(Box::new(SyslogSink::new(&path)), QueueOptions::default())],
        None,
        false,
    );
    outputs.emit(FormattedAlert {
        text: "12:00:00: Critical bad".into(),
        priority: Priority::Critical,
        json: false,
    });
    outputs.emit(FormattedAlert {
        text: "12:00:01: Debug meh".into(),
        priority: Priority::Debug,
        json: false,
    });
    outputs.flush();
    let mut buf = [0u8; 512];
    let n = daemon.recv(&mut buf).unwrap();
    let first = std::str::from_utf8(&buf[..n]).unwrap().to_string();
    let n = daemon.recv(&mut buf).unwrap();
    let second = std::str::from_utf8(&buf[..n]).unwrap().to_string();
    // user (1) * 8 + critical (2) = 10; user * 8 + debug (7) = 15.
    assert!(
        first.starts_with("<10>saker[") && first.ends_with("]: 12:00:00: Critical bad"),
        "{first}"
    );
    assert!(second.starts_with("<15>") && second.ends_with("Debug meh"), "{second}");
    std::fs::remove_file(&path).unwrap();
}

#[test]
fn no_daemon_counts_a_failed_delivery() {
    let mut outputs = Outputs::new(
        vec![(
            Box::new(SyslogSink::new("/nonexistent/saker.sock")),
            QueueOptions::default(),
        )],
        None,
        false,
    );
    outputs.emit(FormattedAlert {
        text: "x".into(),
        priority: Priority::Error,
        json: false,
    });
    outputs.flush();
    let t = outputs.telemetry();
    assert_eq!(
        t.sinks[0]
            .counters
            .dropped_delivery_failed
            .load(std::sync::atomic::Ordering::Relaxed),
        1
    );
}
