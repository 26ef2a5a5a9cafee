//! `/ready` follows the metadata database: 503 while it is unreachable, 200 once it is back.

use crate::common;

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use common::{fresh_database, start, test_config};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::Mutex;
use tokio::task::JoinSet;

/// A TCP relay to Postgres whose connections can be cut, as a network failure would.
struct Relay {
    port: u16,
    cut: Arc<AtomicBool>,
    connections: Arc<Mutex<JoinSet<()>>>,
}

impl Relay {
    async fn start(target: &'static str) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let cut = Arc::new(AtomicBool::new(false));
        let connections = Arc::new(Mutex::new(JoinSet::new()));
        let (flag, set) = (cut.clone(), connections.clone());
        tokio::spawn(async move {
            while let Ok((mut inbound, _)) = listener.accept().await {
                if flag.load(Ordering::SeqCst) {
                    continue;
                }
                set.lock().await.spawn(async move {
                    if let Ok(mut outbound) = TcpStream::connect(target).await {
                        let _ = tokio::io::copy_bidirectional(&mut inbound, &mut outbound).await;
                    }
                });
            }
        });
        Self {
            port,
            cut,
            connections,
        }
    }

    async fn cut(&self) {
        self.cut.store(true, Ordering::SeqCst);
        self.connections.lock().await.abort_all();
    }

    fn restore(&self) {
        self.cut.store(false, Ordering::SeqCst);
    }
}

#[tokio::test]
async fn ready_is_503_while_postgres_is_unreachable() {
    let direct = fresh_database().await;
    let relay = Relay::start("127.0.0.1:5432").await;
    let database = direct.rsplit('/').next().unwrap();
    let via_relay = format!("postgres://postgres@127.0.0.1:{}/{database}", relay.port);
    let dir = tempfile::tempdir().unwrap();
    let app = start(test_config(&via_relay, dir.path())).await;
    assert_eq!(app.get("/ready").await.0, 200);

    relay.cut().await;
    let (code, body) = app.get("/ready").await;
    assert_eq!(code, 503, "{body}");
    // A public probe says what is wrong, not the database's own error text.
    assert_eq!(body["error"], "metadata database unavailable", "{body}");
    assert_eq!(
        app.get("/health").await.0,
        200,
        "liveness does not depend on the database"
    );

    relay.restore();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(20);
    while app.get("/ready").await.0 != 200 {
        assert!(
            std::time::Instant::now() < deadline,
            "never became ready again"
        );
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
    app.stop().await;
}
