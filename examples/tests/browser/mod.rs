//! The browser side of the console's test: chromedriver started on a free loopback port,
//! a headless chromium session, and the few moves the flows are written in.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use fantoccini::elements::Element;
use fantoccini::key::Key;
use fantoccini::{Client, ClientBuilder, Locator};
use hris_sync_core::RunStatus;
use hris_sync_examples::vendor::Vendor;

/// How long a screen may take to reach an expected state before the test gives up: a
/// bound on waiting for readiness, not a speed assertion.
pub(crate) const PATIENCE: Duration = Duration::from_secs(90);

/// chromedriver, killed when dropped.
pub(crate) struct Driver {
    child: Child,
    url: String,
}

impl Drop for Driver {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|listener| listener.local_addr())
        .expect("a free loopback port")
        .port()
}

/// Starts chromedriver, or says why the test is skipped (`None`).
pub(crate) async fn start_driver() -> Option<Driver> {
    let path = std::env::var("HRIS_SYNC_CHROMEDRIVER")
        .unwrap_or_else(|_| "/usr/bin/chromedriver".to_owned());
    if !std::path::Path::new(&path).exists() {
        let reason = format!(
            "{path} not found: install Debian's chromium and chromium-driver (apt-get install \
             chromium chromium-driver) to run the console's browser test"
        );
        assert!(
            std::env::var("CI").as_deref() != Ok("true"),
            "CI=true and {reason}"
        );
        eprintln!("skipped: {reason}");
        return None;
    }
    let port = free_port();
    let child = Command::new(&path)
        .arg(format!("--port={port}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap_or_else(|error| panic!("cannot start {path}: {error}"));
    let driver = Driver {
        child,
        url: format!("http://127.0.0.1:{port}"),
    };
    let started = std::time::Instant::now();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        assert!(started.elapsed() < PATIENCE, "chromedriver never listened");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    Some(driver)
}

pub(crate) async fn browser(driver: &Driver, profile: &std::path::Path) -> Client {
    let mut options = serde_json::json!({
        "args": [
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
            "--disable-background-networking", "--disable-component-update", "--disable-sync",
            "--disable-dev-shm-usage", "--window-size=1280,1000", "--lang=ja",
            format!("--user-data-dir={}", profile.display()),
        ],
        "prefs": { "intl.accept_languages": "ja" },
    });
    if std::path::Path::new("/usr/bin/chromium").exists() {
        options["binary"] = "/usr/bin/chromium".into();
    }
    let mut capabilities = serde_json::Map::new();
    capabilities.insert("goog:chromeOptions".into(), options);
    let connector = hyper_util::client::legacy::connect::HttpConnector::new();
    ClientBuilder::new(connector)
        .capabilities(capabilities)
        .connect(&driver.url)
        .await
        .expect("a chromium session")
}

/// Serves a router on a free loopback port; returns its URL.
pub(crate) async fn serve(router: axum::Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{address}")
}

/// The browser and what the test needs around it.
pub(crate) struct Session {
    pub(crate) client: Client,
    pub(crate) console: String,
    pub(crate) shots: Option<PathBuf>,
}

impl Session {
    pub(crate) async fn goto(&self, path: &str) {
        self.client
            .goto(&format!("{}{path}", self.console))
            .await
            .unwrap();
    }

    pub(crate) async fn find(&self, css: &str) -> Element {
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_element(Locator::Css(css))
            .await
            .unwrap_or_else(|error| panic!("{css} never appeared: {error}"))
    }

    pub(crate) async fn click(&self, css: &str) {
        self.find(css).await.click().await.unwrap();
    }

    pub(crate) async fn all(&self, css: &str) -> Vec<Element> {
        self.client.find_all(Locator::Css(css)).await.unwrap()
    }

    pub(crate) async fn body_text(&self) -> String {
        self.find("body").await.text().await.unwrap()
    }

    /// Waits until the report page shows `status` (the page's script reloads it when the
    /// status endpoint reports a change).
    pub(crate) async fn wait_status(&self, status: RunStatus) {
        self.find(&format!("#run-status [data-status={}]", status.name()))
            .await;
    }

    pub(crate) async fn shot(&self, name: &str) {
        let Some(dir) = &self.shots else { return };
        let png = self.client.screenshot().await.unwrap();
        std::fs::write(dir.join(format!("console-{name}.png")), png).unwrap();
    }

    /// Dashboard → a direction's 「次へ >」 → the base date's 「次へ」 → 同期待ち →
    /// 「同期を開始→」: the selection screen of a fresh run.
    pub(crate) async fn fetch(&self, vendor: Vendor, direction: &str, shots: bool) {
        self.goto("/").await;
        self.click(&format!(
            "section[data-connection={}] a[data-direction={direction}]",
            vendor.slug()
        ))
        .await;
        let date = self.find("input#base_date").await;
        assert!(date
            .prop("value")
            .await
            .unwrap()
            .is_some_and(|v| !v.is_empty()));
        if shots {
            self.shot("2-base-date").await;
        }
        // By keyboard: Enter in the date field submits its form.
        date.send_keys(&char::from(Key::Enter).to_string())
            .await
            .unwrap();
        self.wait_status(RunStatus::AwaitingSync).await;
        if shots {
            self.shot("3-report-awaiting-sync").await;
        }
        self.click("#start-sync").await;
        self.find("#to-sync").await;
    }

    /// Filters the selection to `kinds` (the 絞り込み check boxes, then 「絞り込む」).
    pub(crate) async fn filter(&self, kinds: &[&str]) {
        for kind in kinds {
            self.click(&format!("input[data-kind-filter={kind}]")).await;
        }
        self.click("button[value=filter]").await;
        let wanted = kinds.join(",");
        self.client
            .wait()
            .at_most(PATIENCE)
            .for_url(&{
                let mut url = self.client.current_url().await.unwrap();
                url.set_query(Some(&format!("kinds={wanted}&page=1")));
                url
            })
            .await
            .unwrap();
    }

    /// Chooses the first real option of every creation-value pull-down, then the preview.
    pub(crate) async fn creation_values(&self, names: &[&str], shots: bool) {
        for name in names {
            let select = self.find(&format!("select#{name}")).await;
            select.select_by_index(1).await.unwrap();
        }
        if shots {
            self.shot("5-creation-values").await;
        }
        self.click("#to-preview").await;
        self.find("#confirm-sync").await;
    }

    pub(crate) async fn codes(&self, css: &str) -> Vec<String> {
        let mut codes = Vec::new();
        for row in self.all(css).await {
            codes.push(row.attr("data-code").await.unwrap().unwrap_or_default());
        }
        codes
    }
}
