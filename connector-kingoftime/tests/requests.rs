//! The exact shape of every request (method, path, query, auth header, body), against
//! wiremock. Every mock has `.expect(n)`; a catch-all mounted last names any request missed.

mod common;

use chrono::NaiveDate;
use common::*;
use hris_sync_core::{
    ConnectorError, Employee, EmployeeCode, EmployeeSystem, EmployeeUpdate, Field, FieldValue,
    Gender, ListOptions, MasterKind, Placement, RecordId,
};
use serde_json::json;
use wiremock::matchers::{body_json, header, method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const EMPLOYEES: &str = include_str!("resources/employees.json");
const CREATED: &str = include_str!("resources/employee_created.json");
const DIVISIONS: &str = include_str!("resources/divisions.json");
const WORKING_TYPES: &str = include_str!("resources/working_types.json");
const AVAILABLE: &str = include_str!("resources/token_available.json");
const DUPLICATE: &str = include_str!("resources/error_duplicate_code.json");
const VALIDATION: &str = include_str!("resources/error_validation.json");

const FIRST_KEY: &str = "8b6ee646a9620b286499c3df6918c4888a97dd7bbc6a26a18743f4697a1de4b3";

fn json_body(text: &str) -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(text.to_owned(), "application/json")
}

fn new_employee() -> Employee {
    Employee::new("2000")
        .with_name("新規", "花子")
        .with_kana("シンキ", "ハナコ")
        .with_gender(Gender::Female)
        .with_hire_date(NaiveDate::from_ymd_opt(2024, 4, 1).unwrap())
        .with_email("hanako@example.jp")
}

async fn mount_list(server: &MockServer, date: &str, times: u64) {
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .and(employee_query(date))
        .and(header("Authorization", AUTH))
        .respond_with(json_body(EMPLOYEES))
        .expect(times)
        .named("list employees")
        .mount(server)
        .await;
}

#[tokio::test]
async fn list_all_records_asks_for_the_latest_date_with_resigners_and_the_synced_fields() {
    let server = MockServer::start().await;
    mount_list(&server, AS_OF_ALL, 1).await;
    catch_all(&server, 0).await;
    let records = client(&server)
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
    assert_eq!(records[0].id.as_str(), FIRST_KEY);
    assert_eq!(records[1].employee.code.as_str(), "1001");
}

#[tokio::test]
async fn list_enrolled_on_sends_the_base_date() {
    let server = MockServer::start().await;
    mount_list(&server, "2022-01-01", 1).await;
    catch_all(&server, 0).await;
    let base = NaiveDate::from_ymd_opt(2022, 1, 1).unwrap();
    let records = client(&server)
        .list_employees(&ListOptions::enrolled_on(base))
        .await
        .unwrap();
    assert_eq!(records.len(), 2);
}

#[tokio::test]
async fn list_outside_the_api_date_range_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server, 0).await;
    let client = client(&server);
    for date in [(2021, 3, 31), (2025, 4, 2)] {
        let base = NaiveDate::from_ymd_opt(date.0, date.1, date.2).unwrap();
        let error = client
            .list_employees(&ListOptions::enrolled_on(base))
            .await
            .unwrap_err();
        assert!(
            matches!(error, ConnectorError::InvalidInput { .. }),
            "{error}"
        );
    }
}

#[tokio::test]
async fn get_by_code_reads_one_employee_and_404_is_none() {
    let server = MockServer::start().await;
    let one: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(EMPLOYEES).unwrap()[0].clone();
    Mock::given(method("GET"))
        .and(path("/v1.0/employees/1000"))
        .and(employee_query(AS_OF_ALL))
        .and(header("Authorization", AUTH))
        .respond_with(ResponseTemplate::new(200).set_body_json(one))
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path("/v1.0/employees/A%2F9"))
        .and(employee_query(AS_OF_ALL))
        .respond_with(ResponseTemplate::new(404).set_body_raw(VALIDATION, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let client = client(&server);
    let found = client
        .get_employee(&EmployeeCode::new("1000"))
        .await
        .unwrap();
    assert_eq!(found.unwrap().id.as_str(), FIRST_KEY);
    let missing = client
        .get_employee(&EmployeeCode::new("A/9"))
        .await
        .unwrap();
    assert_eq!(missing, None);
}

#[tokio::test]
async fn create_posts_the_fields_and_the_placement() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .and(header("Authorization", AUTH))
        .and(header("Content-Type", "application/json; charset=utf-8"))
        .and(body_json(json!({
            "code": "2000", "lastName": "新規", "firstName": "花子", "gender": "female",
            "divisionCode": "1000", "typeCode": "1",
            "lastNamePhonetics": "シンキ", "firstNamePhonetics": "ハナコ",
            "hiredDate": "2024-04-01", "emailAddresses": ["hanako@example.jp"]
        })))
        .respond_with(ResponseTemplate::new(201).set_body_raw(CREATED, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let record = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap();
    assert_eq!(record.id.as_str(), "new-key-2000");
    assert_eq!(record.employee, new_employee());
}

#[tokio::test]
async fn create_without_required_values_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server, 0).await;
    let client = client(&server);
    let no_type = Placement::new().with(MasterKind::Division, "1000");
    let error = client
        .create_employee(&new_employee(), &no_type)
        .await
        .unwrap_err();
    assert!(error.to_string().contains("employment type"), "{error}");
    let mut no_gender = new_employee();
    no_gender.gender = None;
    let error = client
        .create_employee(&no_gender, &placement())
        .await
        .unwrap_err();
    assert!(
        matches!(
            error,
            ConnectorError::InvalidInput {
                field: Some(Field::Gender),
                ..
            }
        ),
        "{error}"
    );
}

/// Every create is refused with HTTP 400 and `body`, `times` times.
async fn refuse_creates(server: &MockServer, body: serde_json::Value, times: u64) {
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(400).set_body_json(body))
        .expect(times)
        .named("refused creates")
        .mount(server)
        .await;
}

/// A refusal the client must hand back as the vendor's refusal: `InvalidInput` carrying the
/// vendor's message and code, nothing read or sent after it.
fn assert_vendor_refusal(error: &ConnectorError, message: &str, code: &str) {
    match error {
        ConnectorError::InvalidInput { message: text, .. } => {
            assert!(text.contains(message), "{text}");
            assert!(text.contains(&format!("code {code}")), "{text}");
        }
        other => panic!("expected the vendor's refusal, got {other:?}"),
    }
    assert!(!error.may_have_been_applied());
}

/// Issue 10 item 2: a refusal for another duplicate (the email address) says 重複 too. It
/// was reported as "already in the target" for an employee that does not exist.
#[tokio::test]
async fn a_duplicate_email_refusal_is_the_vendor_refusal_not_already_exists() {
    let server = MockServer::start().await;
    let email = json!({"errors": [{"message": "メールアドレスが重複しています。", "code": 111}]});
    refuse_creates(&server, email, 1).await;
    catch_all(&server, 0).await;
    let error = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert_vendor_refusal(&error, "メールアドレスが重複しています。", "111");
}

#[tokio::test]
async fn words_alone_never_make_already_exists_and_nothing_is_read() {
    let server = MockServer::start().await;
    // 既に登録されています with a code nobody declared.
    let duplicate: serde_json::Value = serde_json::from_str(DUPLICATE).unwrap();
    refuse_creates(&server, duplicate, 1).await;
    catch_all(&server, 0).await;
    let error = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert_vendor_refusal(&error, "既に登録されています", "112");
}

#[tokio::test]
async fn a_409_refusal_is_already_exists() {
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(
            ResponseTemplate::new(409)
                .set_body_json(json!({"errors": [{"message": "conflict", "code": 999}]})),
        )
        .expect(1)
        .named("409 create")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let error = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::AlreadyExists { code } if code.as_str() == "2000"),
        "{error}"
    );
}

#[tokio::test]
async fn a_configured_duplicate_code_is_already_exists_and_others_are_not() {
    let server = MockServer::start().await;
    let coded = json!({"errors": [{"message": "登録できませんでした。", "code": 777}]});
    refuse_creates(&server, coded, 2).await;
    catch_all(&server, 0).await;
    let configured = builder(&server)
        .with_duplicate_code_error(777)
        .build()
        .unwrap();
    let error = configured
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::AlreadyExists { code } if code.as_str() == "2000"),
        "{error}"
    );
    // The same answer to a client that declared no code is the vendor's refusal.
    let error = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert_vendor_refusal(&error, "登録できませんでした。", "777");
}

#[tokio::test]
async fn update_puts_only_the_changed_fields_by_key() {
    let server = MockServer::start().await;
    Mock::given(method("PUT"))
        .and(path(format!("/v1.0/employees/{FIRST_KEY}")))
        .and(ExactQuery(vec![("updateDate", TODAY.to_owned())]))
        .and(header("Authorization", AUTH))
        .and(body_json(
            json!({"lastName": "新姓", "birthDate": "", "gender": "female"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_raw(CREATED, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let update = EmployeeUpdate {
        changes: vec![
            (Field::LastName, Some(FieldValue::Text("新姓".into()))),
            (Field::BirthDate, None),
            (Field::Gender, Some(FieldValue::Gender(Gender::Female))),
        ],
    };
    let client = client(&server);
    client
        .update_employee(&RecordId::new(FIRST_KEY), &update)
        .await
        .unwrap();
    // Nothing to change: nothing sent.
    client
        .update_employee(&RecordId::new(FIRST_KEY), &EmployeeUpdate::default())
        .await
        .unwrap();
}

fn email_update(email: &str) -> EmployeeUpdate {
    EmployeeUpdate {
        changes: vec![(Field::Email, Some(FieldValue::Text(email.into())))],
    }
}

/// A `PUT` of the first key sending `addresses`, answered `response`, expected `times`.
async fn mount_email_put(
    server: &MockServer,
    addresses: &[&str],
    response: ResponseTemplate,
    times: u64,
) {
    Mock::given(method("PUT"))
        .and(path(format!("/v1.0/employees/{FIRST_KEY}")))
        .and(ExactQuery(vec![("updateDate", TODAY.to_owned())]))
        .and(body_json(json!({ "emailAddresses": addresses })))
        .respond_with(response)
        .up_to_n_times(times)
        .expect(times)
        .named(format!("PUT {addresses:?}"))
        .mount(server)
        .await;
}

fn updated() -> ResponseTemplate {
    ResponseTemplate::new(200).set_body_raw(CREATED, "application/json")
}

/// The remembered path: the list the client just read holds the record's addresses, so an
/// email update is one `PUT` keeping the spare address, and the next one builds on what the
/// first sent — no read by code (the catch-all would count it).
#[tokio::test]
async fn an_email_update_after_a_list_is_one_put_that_keeps_the_other_addresses() {
    let server = MockServer::start().await;
    mount_list(&server, AS_OF_ALL, 1).await;
    mount_email_put(&server, &["new@h-t.co.jp", "spare@h-t.co.jp"], updated(), 1).await;
    mount_email_put(
        &server,
        &["newer@h-t.co.jp", "spare@h-t.co.jp"],
        updated(),
        1,
    )
    .await;
    catch_all(&server, 0).await;
    let client = client(&server);
    client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    for email in ["new@h-t.co.jp", "newer@h-t.co.jp"] {
        client
            .update_employee(&RecordId::new(FIRST_KEY), &email_update(email))
            .await
            .unwrap();
    }
}

/// The fallback path: a key this client never saw has no remembered addresses (nor code),
/// so the update finds the record in one list of every record, then sends the `PUT`.
#[tokio::test]
async fn an_email_update_of_an_unseen_key_finds_it_in_the_list() {
    let server = MockServer::start().await;
    mount_list(&server, AS_OF_ALL, 1).await;
    mount_email_put(&server, &["new@h-t.co.jp", "spare@h-t.co.jp"], updated(), 1).await;
    catch_all(&server, 0).await;
    client(&server)
        .update_employee(&RecordId::new(FIRST_KEY), &email_update("new@h-t.co.jp"))
        .await
        .unwrap();
}

/// After an email `PUT` that failed, the remembered addresses are not trusted (the write may
/// have landed): the next email update reads the record by its remembered code first.
#[tokio::test]
async fn after_a_failed_email_update_the_next_reads_the_record_by_code() {
    let server = MockServer::start().await;
    mount_list(&server, AS_OF_ALL, 1).await;
    let refused = ResponseTemplate::new(400).set_body_raw(VALIDATION, "application/json");
    let addresses = ["new@h-t.co.jp", "spare@h-t.co.jp"];
    mount_email_put(&server, &addresses, refused, 1).await;
    let one: serde_json::Value =
        serde_json::from_str::<serde_json::Value>(EMPLOYEES).unwrap()[0].clone();
    Mock::given(method("GET"))
        .and(path("/v1.0/employees/1000"))
        .and(employee_query(AS_OF_ALL))
        .respond_with(ResponseTemplate::new(200).set_body_json(one))
        .expect(1)
        .named("the read by code")
        .mount(&server)
        .await;
    mount_email_put(&server, &addresses, updated(), 1).await;
    catch_all(&server, 0).await;
    let client = client(&server);
    client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    let update = email_update("new@h-t.co.jp");
    let id = RecordId::new(FIRST_KEY);
    client.update_employee(&id, &update).await.unwrap_err();
    client.update_employee(&id, &update).await.unwrap();
}

/// Issue 10 item 3: the first listed record holds [kintaitarou@…, spare@…]. Clearing its
/// email used to send [spare@…], promoting the spare to be the email (the next run cleared
/// that one too). Now the whole update is refused before anything is sent (the catch-all
/// counts any request), also when other fields change with it.
#[tokio::test]
async fn clearing_the_email_while_a_spare_address_exists_sends_nothing() {
    let server = MockServer::start().await;
    mount_list(&server, AS_OF_ALL, 1).await;
    catch_all(&server, 0).await;
    let client = client(&server);
    client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    let alone = EmployeeUpdate {
        changes: vec![(Field::Email, None)],
    };
    let with_a_name = EmployeeUpdate {
        changes: vec![
            (Field::LastName, Some(FieldValue::Text("新姓".into()))),
            (Field::Email, None),
        ],
    };
    for update in [alone, with_a_name] {
        let error = client
            .update_employee(&RecordId::new(FIRST_KEY), &update)
            .await
            .unwrap_err();
        match &error {
            ConnectorError::InvalidInput {
                field: Some(Field::Email),
                message,
                ..
            } => {
                assert!(message.contains("spare addresses"), "{message}");
                assert!(message.contains("nothing was sent"), "{message}");
                assert!(
                    !message.contains("h-t.co.jp"),
                    "no address in it: {message}"
                );
            }
            other => panic!("expected InvalidInput for the email, got {other:?}"),
        }
    }
}

/// The only address is the sync's own: clearing it empties the list.
#[tokio::test]
async fn clearing_the_only_address_sends_an_empty_list() {
    let server = MockServer::start().await;
    let one = json!([{"code": "1000", "key": FIRST_KEY, "lastName": "勤怠", "firstName": "太郎",
        "gender": "male", "emailAddresses": ["kintaitarou@h-t.co.jp"]}]);
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .and(employee_query(AS_OF_ALL))
        .respond_with(ResponseTemplate::new(200).set_body_json(one))
        .expect(1)
        .named("list of one")
        .mount(&server)
        .await;
    mount_email_put(&server, &[], updated(), 1).await;
    catch_all(&server, 0).await;
    let client = client(&server);
    client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    let clear = EmployeeUpdate {
        changes: vec![(Field::Email, None)],
    };
    client
        .update_employee(&RecordId::new(FIRST_KEY), &clear)
        .await
        .unwrap();
}

#[tokio::test]
async fn masters_read_divisions_and_working_types() {
    let server = MockServer::start().await;
    for (route, body) in [
        ("/v1.0/divisions", DIVISIONS),
        ("/v1.0/working-types", WORKING_TYPES),
    ] {
        Mock::given(method("GET"))
            .and(path(route))
            .and(ExactQuery(Vec::new()))
            .and(header("Authorization", AUTH))
            .respond_with(json_body(body))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server, 0).await;
    let client = client(&server);
    let divisions = client.list_masters(MasterKind::Division).await.unwrap();
    assert_eq!(divisions.len(), 2);
    assert_eq!(
        (divisions[1].code.as_str(), divisions[1].name.as_str()),
        ("2000", "大阪支社")
    );
    let types = client
        .list_masters(MasterKind::EmploymentType)
        .await
        .unwrap();
    assert_eq!(types[0].name, "正社員");
    assert!(client
        .list_masters(MasterKind::Office)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn test_connection_checks_the_token() {
    let server = MockServer::start().await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/tokens/{TOKEN}/available")))
        .and(header("Authorization", AUTH))
        .respond_with(json_body(AVAILABLE))
        .up_to_n_times(1)
        .expect(1)
        .mount(&server)
        .await;
    Mock::given(method("GET"))
        .and(path(format!("/v1.0/tokens/{TOKEN}/available")))
        .respond_with(json_body(r#"{"available":false}"#))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let client = client(&server);
    client.test_connection().await.unwrap();
    let error = client.test_connection().await.unwrap_err();
    assert!(
        matches!(error, ConnectorError::Unauthenticated { .. }),
        "{error}"
    );
    assert!(!error.to_string().contains(TOKEN));
}

#[tokio::test]
async fn a_redirect_is_not_followed() {
    // Following it would re-send a create elsewhere (R11) or leave https; the API never
    // redirects, so a redirect means a wrong base URL.
    let server = MockServer::start().await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(
            ResponseTemplate::new(307)
                .insert_header("Location", format!("{}/elsewhere/employees", server.uri())),
        )
        .expect(1)
        .named("redirecting create")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let error = client(&server)
        .create_employee(&new_employee(), &placement())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Vendor { message, .. } if message.contains("base URL")),
        "{error:?}"
    );
    assert!(!error.may_have_been_applied());
}
