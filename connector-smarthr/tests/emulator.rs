//! The emulator behaves as SmartHR is documented to, and the client copes with every fault
//! it can inject.

use std::time::{Duration, Instant};

use connector_smarthr::emulator::{
    EmulatedCrew, Endpoint, Fault, FaultKind, RateLimitWindow, SmartHrEmulator,
};
use hris_sync_core::{
    BusinessName, ConnectorError, Employee, EmployeeSystem, EmployeeUpdate, Field, FieldValue,
    Gender, ListOptions, MasterKind, Placement,
};
use serde_json::{json, Value};

async fn tenant(crews: usize) -> SmartHrEmulator {
    let emulator = SmartHrEmulator::builder().start().await;
    emulator.add_office("hq", "本社");
    for n in 0..crews {
        emulator.insert_employee(
            &Employee::new(format!("{}", 1000 + n))
                .with_name("山田", format!("{n}郎"))
                .with_gender(Gender::Male),
            Some("hq"),
        );
    }
    emulator
}

fn hq() -> Placement {
    Placement::new().with(MasterKind::Office, "hq")
}

#[tokio::test]
async fn lists_page_by_page_with_the_real_headers_and_fields() {
    let emulator = tenant(5).await;
    let client = emulator.client_builder().with_per_page(2).build().unwrap();
    let records = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    assert_eq!(records.len(), 5);
    let requests = emulator.requests();
    assert_eq!(requests.len(), 3, "three pages of two");
    for (n, request) in requests.iter().enumerate() {
        assert_eq!(request.path, "/api/v1/crews");
        assert_eq!(request.param("page"), Some((n + 1).to_string().as_str()));
        assert_eq!(request.param("per_page"), Some("2"));
        assert!(request.param("fields").unwrap().contains("emp_code"));
    }
}

async fn raw(
    emulator: &SmartHrEmulator,
    method: &str,
    route: &str,
    body: Option<Value>,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let http = reqwest::Client::new();
    let url = format!("{}{route}", emulator.base_url());
    let mut request = http
        .request(method.parse().unwrap(), url)
        .bearer_auth(emulator.token());
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status().as_u16();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

#[tokio::test]
async fn answers_link_total_count_rate_headers_and_only_the_fields_asked() {
    let emulator = tenant(3).await;
    let (status, headers, body) = raw(
        &emulator,
        "GET",
        "/v1/crews?page=2&per_page=1&fields=id,emp_code",
        None,
    )
    .await;
    assert_eq!(status, 200);
    assert_eq!(headers["x-total-count"], "3");
    let link = headers["link"].to_str().unwrap();
    for rel in ["first", "prev", "next", "last"] {
        assert!(link.contains(&format!("rel=\"{rel}\"")), "{link}");
    }
    assert!(
        link.contains("page=3") && link.contains("fields=id%2Cemp_code"),
        "{link}"
    );
    for name in [
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
    ] {
        assert!(headers.contains_key(name), "{name}");
    }
    let crew = body[0].as_object().unwrap();
    let mut keys: Vec<&str> = crew.keys().map(String::as_str).collect();
    keys.sort_unstable();
    assert_eq!(keys, ["emp_code", "id"]);
    assert_eq!(crew["emp_code"], "1001");
    let (status, _, _) = raw(&emulator, "GET", "/v1/crews?per_page=101", None).await;
    assert_eq!(status, 400);
}

#[tokio::test]
async fn a_patch_refuses_blanks_and_changes_nothing_then() {
    let emulator = tenant(1).await;
    let id = emulator.crews()[0].id.clone();
    let route = format!("/v1/crews/{id}");
    for property in ["last_name", "first_name", "gender"] {
        let (status, _, body) = raw(
            &emulator,
            "PATCH",
            &route,
            Some(json!({"email": "new@example.com", property: null})),
        )
        .await;
        assert_eq!(status, 400, "{property}");
        assert_eq!(body["code"], 1);
        assert_eq!(body["errors"][0]["field"], property);
    }
    assert_eq!(emulator.crews()[0].text("email"), None, "nothing changed");
    // What may be blanked is blanked; what is sent is set; nothing else moves.
    let (status, _, _) = raw(
        &emulator,
        "PATCH",
        &route,
        Some(json!({"email": "x@example.com", "resigned_at": null})),
    )
    .await;
    assert_eq!(status, 200);
    let crew = &emulator.crews()[0];
    assert_eq!(crew.text("email"), Some("x@example.com"));
    assert_eq!(crew.text("last_name"), Some("山田"));
}

#[tokio::test]
async fn a_held_code_is_accepted_by_the_api_and_read_as_a_duplicate() {
    let emulator = tenant(0).await;
    let employee = Employee::new("77").with_name("重複", "一");
    emulator.insert_employee(&employee, Some("hq"));
    let (status, _, _) = raw(
        &emulator,
        "POST",
        "/v1/crews",
        Some(json!({"emp_code": "77", "last_name": "重複", "first_name": "二"})),
    )
    .await;
    assert_eq!(status, 201, "SmartHR itself takes a held code again");
    let client = emulator.client_builder().build().unwrap();
    assert!(matches!(
        client.get_employee(&"77".into()).await,
        Err(ConnectorError::DuplicateCode { count: 2, .. })
    ));
    // The client refuses to add a third.
    assert!(client.create_employee(&employee, &hq()).await.is_err());
    assert_eq!(emulator.crews_with_code("77").len(), 2);
}

#[tokio::test]
async fn business_names_and_offices_round_trip() {
    let emulator = tenant(0).await;
    emulator.add_office("osaka", "大阪支店");
    let client = emulator.client_builder().build().unwrap();
    let offices = client.list_masters(MasterKind::Office).await.unwrap();
    assert_eq!(offices.len(), 2);
    assert_eq!(offices[1].code, "osaka");
    let business = BusinessName {
        last_name: Some("旧姓".into()),
        first_name: None,
        last_name_kana: Some("キュウセイ".into()),
        first_name_kana: None,
    };
    let employee = Employee::new("55")
        .with_name("新姓", "花子")
        .with_business_name(business.clone());
    let created = client
        .create_employee(
            &employee,
            &Placement::new().with(MasterKind::Office, "osaka"),
        )
        .await
        .unwrap();
    assert_eq!(created.employee.business_name, Some(business));
    assert_eq!(
        emulator.crews()[0].text("biz_establishment_id"),
        Some("osaka")
    );
    let unknown = client
        .create_employee(
            &Employee::new("56").with_name("a", "b"),
            &Placement::new().with(MasterKind::Office, "nowhere"),
        )
        .await;
    assert!(matches!(unknown, Err(ConnectorError::InvalidInput { .. })));
}

#[tokio::test]
async fn a_create_whose_answer_is_lost_is_applied_once_and_never_resent() {
    let emulator = tenant(0).await;
    emulator.inject(Fault::new(FaultKind::DropAfterApply).on(Endpoint::CreateCrew));
    let client = emulator.client_builder().build().unwrap();
    let employee = Employee::new("90").with_name("消失", "応答");
    let error = client.create_employee(&employee, &hq()).await.unwrap_err();
    assert!(error.may_have_been_applied(), "{error:?}");
    assert_eq!(emulator.request_count(Endpoint::CreateCrew), 1);
    assert_eq!(emulator.crews_with_code("90").len(), 1);
    // The engine's read by code finds it; a second create is refused as held.
    assert!(client.get_employee(&"90".into()).await.unwrap().is_some());
    assert!(matches!(
        client.create_employee(&employee, &hq()).await,
        Err(ConnectorError::AlreadyExists { .. })
    ));
}

#[tokio::test]
async fn malformed_json_null_elements_5xx_and_maintenance() {
    let emulator = tenant(2).await;
    let client = emulator
        .client_builder()
        .with_retry_policy(
            hris_sync_core::retry::RetryPolicy::default()
                .with_initial_backoff(Duration::from_millis(1))
                .with_jitter(false),
        )
        .build()
        .unwrap();
    let all = ListOptions::all_records();

    emulator.inject(Fault::new(FaultKind::MalformedJson).on(Endpoint::ListCrews));
    assert!(matches!(
        client.list_employees(&all).await,
        Err(ConnectorError::Decode { .. })
    ));

    emulator.inject(Fault::new(FaultKind::NullElement).on(Endpoint::ListCrews));
    assert_eq!(client.list_employees(&all).await.unwrap().len(), 2);

    // Two 500s, then the real answer: retried.
    emulator.inject(Fault::new(FaultKind::Status(500)).times(2));
    assert_eq!(client.list_employees(&all).await.unwrap().len(), 2);

    emulator.set_maintenance(true);
    assert!(matches!(
        client.list_employees(&all).await,
        Err(ConnectorError::MaintenanceWindow { .. })
    ));
    emulator.set_maintenance(false);

    // An update whose answer is malformed was applied.
    let id = emulator.crews()[0].id.clone();
    emulator.inject(Fault::new(FaultKind::MalformedJson).on(Endpoint::UpdateCrew));
    let update = EmployeeUpdate {
        changes: vec![(Field::Email, Some(FieldValue::Text("m@example.com".into())))],
    };
    let result = client
        .update_employee(&hris_sync_core::RecordId::new(id), &update)
        .await;
    // PATCH's answer is not read: a 2xx applied, whatever its body.
    assert!(result.is_ok(), "{result:?}");
    assert_eq!(emulator.crews()[0].text("email"), Some("m@example.com"));
}

#[tokio::test]
async fn the_plan_limit_is_a_clear_refusal_not_retried() {
    let emulator = tenant(1).await;
    emulator.set_plan_limit(Some(1));
    let client = emulator.client_builder().build().unwrap();
    let error = client
        .create_employee(&Employee::new("2").with_name("上限", "超過"), &hq())
        .await
        .unwrap_err();
    assert!(error.to_string().contains("employee limit"), "{error}");
    assert!(!error.is_retryable());
    assert_eq!(emulator.request_count(Endpoint::CreateCrew), 1);
}

#[tokio::test]
async fn the_client_paces_itself_on_the_emulators_rate_limit() {
    let emulator = tenant(4).await;
    emulator.set_rate_limit(RateLimitWindow {
        requests: 3,
        window: Duration::from_secs(1),
    });
    let client = emulator.client_builder().with_per_page(1).build().unwrap();
    let started = Instant::now();
    let records = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    assert_eq!(records.len(), 4);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "four requests in a window of three must wait for the reset"
    );
}

#[tokio::test]
async fn a_429_from_the_emulator_is_waited_out() {
    let emulator = tenant(1).await;
    emulator.inject(Fault::new(FaultKind::RateLimited).on(Endpoint::ListCrews));
    let client = emulator.client_builder().build().unwrap();
    let started = Instant::now();
    let records = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    assert_eq!(records.len(), 1);
    assert_eq!(emulator.request_count(Endpoint::ListCrews), 2);
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "the reset was waited for"
    );
}

#[test]
fn a_stored_crew_reads_back_as_its_employee() {
    let employee = Employee::new("1")
        .with_name("山田", "太郎")
        .with_gender(Gender::Female);
    let crew = EmulatedCrew::from_employee(&employee, Some("hq"));
    assert_eq!(crew.gender(), Some(Gender::Female));
    assert_eq!(crew.text("emp_code"), Some("1"));
    assert_eq!(crew.text("biz_establishment_id"), Some("hq"));
}
