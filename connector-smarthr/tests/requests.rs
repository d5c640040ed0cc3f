//! Every request shape the client sends, against wiremock with `.expect(n)` on each.

mod common;

use common::*;
use connector_smarthr::SmartHrClient;
use hris_sync_core::{
    ConnectorError, Employee, EmployeeCode, EmployeeSystem, EmployeeUpdate, Field, FieldValue,
    Gender, ListOptions, MasterKind, Placement, RecordId,
};
use serde_json::json;
use wiremock::matchers::{body_json, query_param};
use wiremock::{MockServer, ResponseTemplate};

#[tokio::test]
async fn lists_every_page_following_link_next() {
    let server = MockServer::start().await;
    let route = "/v1/crews";
    for page in 1..=3u32 {
        let items = match page {
            1 => json!([crew("a", "1001", "一"), crew("b", "1002", "二")]),
            2 => json!([crew("c", "1003", "三"), null, crew("d", "1004", "四")]),
            _ => json!([crew("e", "1005", "五")]),
        };
        crews_page(page, 2)
            .respond_with(page_answer(
                items,
                Some(link(&server, route, page, 3, 2)),
                5,
            ))
            .expect(1)
            .mount(&server)
            .await;
    }
    catch_all(&server).await;
    let client = builder(&server).with_per_page(2).build().unwrap();
    let records = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    let codes: Vec<&str> = records.iter().map(|r| r.employee.code.as_str()).collect();
    assert_eq!(codes, ["1001", "1002", "1003", "1004", "1005"]);
    assert_eq!(records[0].id, RecordId::new("a"));
    assert_eq!(records[0].employee.gender, Some(Gender::Male));
}

/// A server that ignores `page` and announces neither a last page nor a count would be read
/// for ever: the client stops at the first page that repeats the one before, with an error.
#[tokio::test]
async fn a_server_that_ignores_the_page_is_not_read_for_ever() {
    let server = MockServer::start().await;
    let next = format!(
        "<{}/api/v1/crews?page=2&per_page=2>; rel=\"next\"",
        server.uri()
    );
    api("GET", "/v1/crews")
        .respond_with(
            ResponseTemplate::new(200)
                .set_body_json(json!([crew("a", "1", "一"), crew("b", "2", "二")]))
                .insert_header("link", next.as_str()),
        )
        .expect(2)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server).with_per_page(2).build().unwrap();
    let error = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::Vendor { message, .. }
            if message.contains("page 2 came back the same as page 1")),
        "{error}"
    );
}

#[tokio::test]
async fn without_link_the_total_count_ends_the_list() {
    let server = MockServer::start().await;
    crews_page(1, 2)
        .respond_with(page_answer(
            json!([crew("a", "1", "一"), crew("b", "2", "二")]),
            None,
            3,
        ))
        .expect(1)
        .mount(&server)
        .await;
    crews_page(2, 2)
        .respond_with(page_answer(json!([crew("c", "3", "三")]), None, 3))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server).with_per_page(2).build().unwrap();
    assert_eq!(
        client
            .list_employees(&ListOptions::all_records())
            .await
            .unwrap()
            .len(),
        3
    );
}

#[tokio::test]
async fn fields_selection_can_be_turned_off() {
    let server = MockServer::start().await;
    api("GET", "/v1/crews")
        .and(query_param("page", "1"))
        .and(query_param("per_page", "100"))
        .and(wiremock::matchers::query_param_is_missing("fields"))
        .respond_with(page_answer(json!([]), None, 0))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server)
        .with_field_selection(false)
        .build()
        .unwrap();
    assert!(client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap()
        .is_empty());
}

fn by_code(code: &str) -> wiremock::MockBuilder {
    crews_page(1, 100).and(query_param("emp_code", code))
}

#[tokio::test]
async fn get_by_code_is_exact_and_refuses_duplicates() {
    let server = MockServer::start().await;
    by_code("1001")
        .respond_with(page_answer(json!([crew("a", "1001", "一")]), None, 1))
        .expect(1)
        .mount(&server)
        .await;
    // A filter that also matched a longer code: only the exact one counts.
    by_code("10")
        .respond_with(page_answer(json!([crew("a", "1001", "一")]), None, 1))
        .expect(1)
        .mount(&server)
        .await;
    by_code("2002")
        .respond_with(page_answer(
            json!([crew("x", "2002", "甲"), crew("y", "2002", "乙")]),
            None,
            2,
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = client(&server);
    let found = client.get_employee(&"1001".into()).await.unwrap().unwrap();
    assert_eq!(found.id, RecordId::new("a"));
    assert_eq!(client.get_employee(&"10".into()).await.unwrap(), None);
    match client.get_employee(&"2002".into()).await {
        Err(ConnectorError::DuplicateCode { code, count, .. }) => {
            assert_eq!(code, EmployeeCode::new("2002"));
            assert_eq!(count, 2);
        }
        other => panic!("two crews with one code must be DuplicateCode, got {other:?}"),
    }
}

fn new_hire() -> Employee {
    Employee::new("3001")
        .with_name("新規", "花子")
        .with_kana("シンキ", "ハナコ")
        .with_gender(Gender::Female)
        .with_hire_date(chrono::NaiveDate::from_ymd_opt(2024, 4, 1).unwrap())
        .with_email("hanako@example.com")
}

fn office() -> Placement {
    Placement::new().with(MasterKind::Office, "office-1")
}

#[tokio::test]
async fn a_create_reads_the_code_then_posts_once_with_only_what_is_set() {
    let server = MockServer::start().await;
    by_code("3001")
        .respond_with(page_answer(json!([]), None, 0))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/v1/crews")
        .and(body_json(json!({
            "emp_code": "3001", "last_name": "新規", "first_name": "花子",
            "last_name_yomi": "シンキ", "first_name_yomi": "ハナコ", "gender": "female",
            "entered_at": "2024-04-01", "email": "hanako@example.com",
            "emp_status": "employed", "biz_establishment_id": "office-1"
        })))
        .respond_with(ResponseTemplate::new(201).set_body_json(crew("new-id", "3001", "新規")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let record = client(&server)
        .create_employee(&new_hire(), &office())
        .await
        .unwrap();
    assert_eq!(record.id, RecordId::new("new-id"));
}

#[tokio::test]
async fn a_held_code_is_already_exists_and_nothing_is_posted() {
    let server = MockServer::start().await;
    by_code("3001")
        .respond_with(page_answer(json!([crew("old", "3001", "既存")]), None, 1))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/v1/crews")
        .respond_with(ResponseTemplate::new(201))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let error = client(&server)
        .create_employee(&new_hire(), &office())
        .await
        .unwrap_err();
    assert!(
        matches!(&error, ConnectorError::AlreadyExists { code } if code.as_str() == "3001"),
        "{error:?}"
    );
}

#[tokio::test]
async fn a_lost_create_is_never_sent_again() {
    let server = MockServer::start().await;
    by_code("3001")
        .respond_with(page_answer(json!([]), None, 0))
        .expect(1)
        .mount(&server)
        .await;
    api("POST", "/v1/crews")
        .respond_with(ResponseTemplate::new(502).set_body_string("<html>bad gateway</html>"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let error = client(&server)
        .create_employee(&new_hire(), &office())
        .await
        .unwrap_err();
    assert!(error.may_have_been_applied(), "{error:?}");
}

#[tokio::test]
async fn a_create_missing_a_name_or_an_office_sends_nothing() {
    let server = MockServer::start().await;
    catch_all(&server).await;
    let client = client(&server);
    let nameless = Employee::new("4001").with_gender(Gender::Male);
    assert!(matches!(
        client.create_employee(&nameless, &office()).await,
        Err(ConnectorError::InvalidInput {
            field: Some(Field::LastName),
            ..
        })
    ));
    assert!(matches!(
        client.create_employee(&new_hire(), &Placement::new()).await,
        Err(ConnectorError::InvalidInput { .. })
    ));
}

#[tokio::test]
async fn an_update_patches_only_the_changed_properties() {
    let server = MockServer::start().await;
    api("PATCH", "/v1/crews/crew-1")
        .and(body_json(
            json!({"last_name": "更新", "email": null, "resigned_at": "2025-03-31"}),
        ))
        .respond_with(ResponseTemplate::new(200).set_body_json(crew("crew-1", "1", "更新")))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let update = EmployeeUpdate {
        changes: vec![
            (Field::LastName, Some(FieldValue::Text("更新".into()))),
            (Field::Email, None),
            (
                Field::ResignationDate,
                Some(FieldValue::Date(
                    chrono::NaiveDate::from_ymd_opt(2025, 3, 31).unwrap(),
                )),
            ),
        ],
    };
    client(&server)
        .update_employee(&RecordId::new("crew-1"), &update)
        .await
        .unwrap();
}

#[tokio::test]
async fn a_refused_blank_is_never_sent_and_is_declared() {
    let server = MockServer::start().await;
    api("PATCH", "/v1/crews/crew-1")
        .respond_with(ResponseTemplate::new(200))
        .expect(0)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client: SmartHrClient = client(&server);
    for field in [
        Field::LastName,
        Field::FirstName,
        Field::LastNameKana,
        Field::FirstNameKana,
        Field::Gender,
        Field::BirthDate,
    ] {
        let update = EmployeeUpdate {
            changes: vec![(field, None)],
        };
        match client
            .update_employee(&RecordId::new("crew-1"), &update)
            .await
        {
            Err(ConnectorError::InvalidInput {
                field: Some(refused),
                ..
            }) => assert_eq!(refused, field),
            other => panic!("clearing {field} must be refused before sending, got {other:?}"),
        }
    }
    // Declared, so classification warns instead of planning the clear.
    let record = hris_sync_core::EmployeeRecord {
        id: RecordId::new("crew-1"),
        employee: Employee::new("1")
            .with_name("山田", "太郎")
            .with_gender(Gender::Male)
            .with_email("a@example.com"),
    };
    let declared: Vec<Field> = client
        .cannot_clear(std::slice::from_ref(&record))
        .into_iter()
        .map(|(_, unclearable)| unclearable.field)
        .collect();
    assert_eq!(declared, [Field::LastName, Field::FirstName, Field::Gender]);
}

#[tokio::test]
async fn offices_are_listed_by_id_and_name_over_pages() {
    let server = MockServer::start().await;
    let route = "/v1/biz_establishments";
    api("GET", route)
        .and(query_param("page", "1"))
        .and(query_param("per_page", "1"))
        .respond_with(page_answer(
            json!([{"id": "o1", "name": "本社"}]),
            Some(link(&server, route, 1, 2, 1)),
            2,
        ))
        .expect(1)
        .mount(&server)
        .await;
    api("GET", route)
        .and(query_param("page", "2"))
        .and(query_param("per_page", "1"))
        .respond_with(page_answer(
            json!([{"id": "o2", "name": "大阪支店"}]),
            Some(link(&server, route, 2, 2, 1)),
            2,
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let client = builder(&server).with_per_page(1).build().unwrap();
    let offices = client.list_masters(MasterKind::Office).await.unwrap();
    assert_eq!(
        offices,
        vec![
            hris_sync_core::MasterEntry::new("o1", "本社"),
            hris_sync_core::MasterEntry::new("o2", "大阪支店")
        ]
    );
    assert!(client
        .list_masters(MasterKind::Division)
        .await
        .unwrap()
        .is_empty());
}

#[tokio::test]
async fn test_connection_reads_one_crew_id() {
    let server = MockServer::start().await;
    api("GET", "/v1/crews")
        .and(query_param("page", "1"))
        .and(query_param("per_page", "1"))
        .and(query_param("fields", "id"))
        .respond_with(page_answer(json!([{"id": "a"}]), None, 40))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    client(&server).test_connection().await.unwrap();
}

#[tokio::test]
async fn empty_fields_names_what_no_crew_holds() {
    let server = MockServer::start().await;
    let mut a = crew("a", "1", "一");
    let mut b = crew("b", "2", "二");
    for crew in [&mut a, &mut b] {
        crew["birth_at"] = json!(null);
        crew["email"] = json!(null);
    }
    crews_page(1, 100)
        .respond_with(page_answer(json!([a, b]), None, 2))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let empty = client(&server).empty_fields().await.unwrap();
    assert_eq!(empty.crews, 2);
    assert_eq!(
        empty.fields,
        [Field::BirthDate, Field::ResignationDate, Field::Email]
    );
    assert_eq!(empty.to_string(), "birth_at, resigned_at, email");
}

#[tokio::test]
async fn a_malformed_crew_is_a_decode_error_naming_it() {
    let server = MockServer::start().await;
    crews_page(1, 100)
        .respond_with(page_answer(
            json!([crew("a", "1", "一"), {"id": "bad-7", "emp_code": ["not", "text"]}]),
            None,
            2,
        ))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server).await;
    let error = client(&server)
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    assert!(matches!(error, ConnectorError::Decode { .. }));
    assert!(error.to_string().contains("bad-7"), "{error}");
}
