//! What the client logs (SPEC B3, S4; issue 10 item 9): one `kot_request` span per attempt
//! with vendor, operation, method, attempt and status; vendor refusal texts, which may quote
//! names and addresses, only at debug level; no name or email in any span or in any event at
//! info level or above.
//!
//! The capture is a small hand-written `tracing::Subscriber` (set for this test's thread
//! only), which needs no dependency beyond `tracing`.

mod common;

use std::collections::BTreeMap;
use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};

use common::*;
use hris_sync_core::{
    ConnectorError, Employee, EmployeeSystem, EmployeeUpdate, Field, FieldValue, Gender,
    ListOptions, RecordId,
};
use serde_json::json;
use tracing::field::{Field as TracingField, Visit};
use tracing::span::{Attributes, Id, Record};
use tracing::subscriber::Interest;
use tracing::{Event, Level, Metadata, Subscriber};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMPLOYEES: &str = include_str!("resources/employees.json");
const CREATED: &str = include_str!("resources/employee_created.json");
const TOO_MANY: &str = include_str!("resources/error_too_many_requests.json");
const FIRST_KEY: &str = "8b6ee646a9620b286499c3df6918c4888a97dd7bbc6a26a18743f4697a1de4b3";

/// Personal data the requests and answers below carry: names from the list fixture and the
/// create, and every address involved.
const PERSONAL: [&str; 9] = [
    "勤怠",
    "太郎",
    "新規",
    "花子",
    "新姓",
    "kintaitarou",
    "spare@h-t.co.jp",
    "hanako@example.jp",
    "new.person@example.jp",
];

/// The vendor's refusal of the create, quoting the name and the address it was sent.
const REFUSAL: &str = "新規 花子 (hanako@example.jp) は登録できません。";

#[derive(Debug, Clone)]
struct SpanRecord {
    name: &'static str,
    level: Level,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Clone)]
struct EventRecord {
    level: Level,
    fields: BTreeMap<String, String>,
}

#[derive(Debug, Default)]
struct Captured {
    spans: Vec<SpanRecord>,
    events: Vec<EventRecord>,
}

/// Records every span (with the values recorded later) and every event, at every level.
#[derive(Clone, Default)]
struct Capture {
    next_id: Arc<AtomicU64>,
    captured: Arc<Mutex<Captured>>,
}

struct Fields<'a>(&'a mut BTreeMap<String, String>);

impl Visit for Fields<'_> {
    fn record_debug(&mut self, field: &TracingField, value: &dyn fmt::Debug) {
        self.0.insert(field.name().to_owned(), format!("{value:?}"));
    }

    fn record_str(&mut self, field: &TracingField, value: &str) {
        self.0.insert(field.name().to_owned(), value.to_owned());
    }
}

impl Subscriber for Capture {
    fn register_callsite(&self, _: &'static Metadata<'static>) -> Interest {
        // Asked every time: other tests in this binary run without a subscriber.
        Interest::sometimes()
    }

    fn enabled(&self, _: &Metadata<'_>) -> bool {
        true
    }

    fn max_level_hint(&self) -> Option<tracing::level_filters::LevelFilter> {
        Some(tracing::level_filters::LevelFilter::TRACE)
    }

    fn new_span(&self, attributes: &Attributes<'_>) -> Id {
        let mut fields = BTreeMap::new();
        attributes.record(&mut Fields(&mut fields));
        let mut captured = self.captured.lock().unwrap();
        captured.spans.push(SpanRecord {
            name: attributes.metadata().name(),
            level: *attributes.metadata().level(),
            fields,
        });
        // Ids start at 1; span n is captured.spans[n - 1].
        let id = self.next_id.fetch_add(1, Ordering::SeqCst) + 1;
        assert_eq!(id as usize, captured.spans.len());
        Id::from_u64(id)
    }

    fn record(&self, span: &Id, values: &Record<'_>) {
        let mut captured = self.captured.lock().unwrap();
        let index = span.into_u64() as usize - 1;
        values.record(&mut Fields(&mut captured.spans[index].fields));
    }

    fn record_follows_from(&self, _: &Id, _: &Id) {}

    fn event(&self, event: &Event<'_>) {
        let mut fields = BTreeMap::new();
        event.record(&mut Fields(&mut fields));
        self.captured.lock().unwrap().events.push(EventRecord {
            level: *event.metadata().level(),
            fields,
        });
    }

    fn enter(&self, _: &Id) {}

    fn exit(&self, _: &Id) {}
}

fn text(fields: &BTreeMap<String, String>) -> String {
    format!("{fields:?}")
}

#[tokio::test(flavor = "current_thread")]
async fn spans_carry_the_request_fields_and_no_personal_data_reaches_info() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(EMPLOYEES, "application/json"))
        .expect(1)
        .named("list")
        .mount(&server)
        .await;
    // The create is rate limited once (a second attempt), then refused with personal data.
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(429).set_body_raw(TOO_MANY, "application/json"))
        .up_to_n_times(1)
        .expect(1)
        .named("rate-limited create")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(
            ResponseTemplate::new(400)
                .set_body_json(json!({"errors": [{"message": REFUSAL, "code": 111}]})),
        )
        .expect(1)
        .named("refused create")
        .mount(&server)
        .await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1.0/employees/{FIRST_KEY}")))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CREATED, "application/json"))
        .expect(1)
        .named("update")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;

    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    let client = client(&server);
    client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    let hanako = Employee::new("2000")
        .with_name("新規", "花子")
        .with_gender(Gender::Female)
        .with_email("hanako@example.jp");
    let error = client
        .create_employee(&hanako, &placement())
        .await
        .unwrap_err();
    let update = EmployeeUpdate {
        changes: vec![
            (Field::LastName, Some(FieldValue::Text("新姓".into()))),
            (
                Field::Email,
                Some(FieldValue::Text("new.person@example.jp".into())),
            ),
        ],
    };
    client
        .update_employee(&RecordId::new(FIRST_KEY), &update)
        .await
        .unwrap();
    drop(guard);

    // The refusal is kept whole for the administrator's report.
    assert!(
        matches!(&error, ConnectorError::InvalidInput { message, .. } if message.contains(REFUSAL)),
        "{error:?}"
    );

    let captured = capture.captured.lock().unwrap();
    let requests: Vec<&SpanRecord> = captured
        .spans
        .iter()
        .filter(|s| s.name == "kot_request")
        .collect();
    let summary: Vec<(String, String, String, String, String)> = requests
        .iter()
        .map(|s| {
            let get = |k: &str| s.fields.get(k).cloned().unwrap_or_default();
            (
                get("vendor"),
                get("operation"),
                get("method"),
                get("attempt"),
                get("status"),
            )
        })
        .collect();
    let row = |operation: &str, method: &str, attempt: &str, status: &str| {
        (
            "KING OF TIME".to_owned(),
            operation.to_owned(),
            method.to_owned(),
            attempt.to_owned(),
            status.to_owned(),
        )
    };
    assert_eq!(
        summary,
        [
            row("list_employees", "GET", "1", "200"),
            row("create_employee", "POST", "1", "429"),
            row("create_employee", "POST", "2", "400"),
            row("update_employee", "PUT", "1", "200"),
        ]
    );
    assert!(requests.iter().all(|s| s.level == Level::INFO));

    // Nothing personal in any span (spans are info level), nor in any event at info or
    // above; the token never appears anywhere.
    let visible = captured.spans.iter().map(|s| text(&s.fields)).chain(
        captured
            .events
            .iter()
            .filter(|e| e.level <= Level::INFO)
            .map(|e| text(&e.fields)),
    );
    for line in visible {
        for personal in PERSONAL {
            assert!(
                !line.contains(personal),
                "{personal} at info or above: {line}"
            );
        }
    }
    for line in captured.events.iter().map(|e| text(&e.fields)) {
        assert!(!line.contains(TOKEN), "the token in a log event: {line}");
    }
    // The capture does see the refusal: at debug level, where it belongs.
    let at_debug: Vec<&EventRecord> = captured
        .events
        .iter()
        .filter(|e| text(&e.fields).contains(REFUSAL))
        .collect();
    assert!(!at_debug.is_empty(), "the refusal is logged at debug");
    assert!(at_debug.iter().all(|e| e.level == Level::DEBUG));
    // And the refusal is announced at info, without its text.
    assert!(
        captured
            .events
            .iter()
            .any(|e| e.level == Level::INFO
                && e.fields.get("message").is_some_and(|m| m == "refused"))
    );
}

/// Issue 10 item 9, the engine's side: the run spans carry report, vendor and direction;
/// a fetch that fails with a vendor text quoting personal data, and an apply whose create is
/// refused with one, put none of it into a span or an event at info or above (the texts stay
/// in the report, for the administrator).
#[tokio::test(flavor = "current_thread")]
async fn run_spans_carry_their_fields_and_vendor_texts_stay_out_of_info() {
    use std::sync::Arc;

    use hris_sync_core::{
        Actor, ApplyRequest, Direction, InMemorySystem, Outcome, Placement, RunStatus, Selection,
        SyncEngine,
    };

    let server = MockServer::start().await;
    let refusal = || {
        ResponseTemplate::new(400)
            .set_body_json(json!({"errors": [{"message": REFUSAL, "code": 111}]}))
    };
    // The first list is refused (the failed fetch), the next two answer (fetch, apply).
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .respond_with(refusal())
        .up_to_n_times(1)
        .expect(1)
        .named("refused list")
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(EMPLOYEES, "application/json"))
        .expect(2)
        .named("list")
        .mount(&server)
        .await;
    for (master, body) in [
        ("divisions", include_str!("resources/divisions.json")),
        (
            "working-types",
            include_str!("resources/working_types.json"),
        ),
    ] {
        Mock::given(method("GET"))
            .and(path(format!("/v1.0/{master}")))
            .respond_with(ResponseTemplate::new(200).set_body_raw(body, "application/json"))
            .expect(1..=2)
            .named(master)
            .mount(&server)
            .await;
    }
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(refusal())
        .expect(1)
        .named("refused create")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;

    let hr = InMemorySystem::hr("HR (memory)");
    hr.insert(
        Employee::new("2000")
            .with_name("新規", "花子")
            .with_kana("シンキ", "ハナコ")
            .with_gender(Gender::Female)
            .with_email("hanako@example.jp"),
        Placement::new(),
    );
    let engine = SyncEngine::builder()
        .with_hr(Arc::new(hr))
        .with_attendance(Arc::new(client(&server)))
        .with_clock(noon())
        .build()
        .unwrap();
    let admin = Actor::administrator("admin-1");
    let base = chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap();

    let capture = Capture::default();
    let guard = tracing::subscriber::set_default(capture.clone());
    let failed = engine.fetch(Direction::Export, base, &admin).await.unwrap();
    let plan = engine.fetch(Direction::Export, base, &admin).await.unwrap();
    let applied = engine
        .apply(
            plan.summary.id,
            ApplyRequest::new(Selection::codes(["2000"])).with_placement(placement()),
            &admin,
        )
        .await
        .unwrap();
    drop(guard);

    // The texts are in the reports.
    assert_eq!(failed.summary.status, RunStatus::Failed);
    assert!(failed.summary.failure.as_deref().unwrap().contains(REFUSAL));
    assert!(matches!(
        &applied.entry(&"2000".into()).unwrap().outcome,
        Some(Outcome::Failed { reason }) if reason.contains(REFUSAL)
    ));

    let captured = capture.captured.lock().unwrap();
    for (name, id) in [
        ("sync_fetch", failed.summary.id),
        ("sync_fetch", plan.summary.id),
        ("sync_apply", plan.summary.id),
    ] {
        let span = captured
            .spans
            .iter()
            .find(|s| s.name == name && s.fields.get("report") == Some(&id.to_string()))
            .unwrap_or_else(|| panic!("no {name} span for {id}"));
        assert_eq!(span.level, Level::INFO);
        assert_eq!(
            span.fields.get("vendor").map(String::as_str),
            Some("KING OF TIME")
        );
        assert_eq!(
            span.fields.get("direction").map(String::as_str),
            Some("export")
        );
    }
    let visible = captured.spans.iter().map(|s| text(&s.fields)).chain(
        captured
            .events
            .iter()
            .filter(|e| e.level <= Level::INFO)
            .map(|e| text(&e.fields)),
    );
    for line in visible {
        for personal in ["新規", "花子", "hanako@example.jp"] {
            assert!(
                !line.contains(personal),
                "{personal} at info or above: {line}"
            );
        }
    }
}
