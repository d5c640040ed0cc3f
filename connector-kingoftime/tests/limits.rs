//! The bound on an answer's body (issue 10 item 9): a larger answer is a clear, typed,
//! non-retried error naming the limit, and is not buffered.

mod common;

use common::*;
use hris_sync_core::{ConnectorError, Employee, EmployeeSystem, Gender, ListOptions};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use wiremock::matchers::{method, path};
use wiremock::{Mock, MockServer, ResponseTemplate};

const LIMIT: usize = 1_000;

/// A JSON list of `n` small employees.
fn employees(n: usize) -> String {
    let one =
        |i: usize| format!(r#"{{"code":"{i}","key":"k{i}","lastName":"勤怠","firstName":"太郎"}}"#);
    format!("[{}]", (0..n).map(one).collect::<Vec<_>>().join(","))
}

fn assert_too_large(error: &ConnectorError) {
    match error {
        ConnectorError::Decode { message, source } => {
            assert!(message.contains("limit of 1000 bytes"), "{message}");
            assert!(message.contains("with_max_response_bytes"), "{message}");
            assert!(message.contains("KING OF TIME"), "{message}");
            assert!(source.is_some());
        }
        other => panic!("expected Decode naming the limit, got {other:?}"),
    }
    assert!(!error.is_retryable());
}

#[tokio::test]
async fn an_answer_over_the_limit_is_refused_once_and_not_retried() {
    let server = MockServer::start().await;
    let big = employees(40);
    assert!(big.len() > LIMIT);
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .and(employee_query(AS_OF_ALL))
        .respond_with(ResponseTemplate::new(200).set_body_raw(big, "application/json"))
        .expect(1)
        .named("a list over the limit")
        .mount(&server)
        .await;
    Mock::given(method("POST"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(201).set_body_raw(employees(40), "application/json"))
        .expect(1)
        .named("a create answered over the limit")
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let client = builder(&server)
        .with_max_response_bytes(LIMIT)
        .build()
        .unwrap();
    let error = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    assert_too_large(&error);
    // A create answered 2xx was applied: the oversized answer reads as "maybe applied", so
    // the engine reads the code back rather than sending it again.
    let hanako = Employee::new("2000")
        .with_name("新規", "花子")
        .with_gender(Gender::Female);
    let error = client
        .create_employee(&hanako, &placement())
        .await
        .unwrap_err();
    assert_too_large(&error);
    assert!(error.may_have_been_applied());
}

#[tokio::test]
async fn an_answer_within_the_limit_is_read() {
    let server = MockServer::start().await;
    let small = employees(5);
    assert!(small.len() <= LIMIT);
    Mock::given(method("GET"))
        .and(path("/v1.0/employees"))
        .respond_with(ResponseTemplate::new(200).set_body_raw(small, "application/json"))
        .expect(1)
        .mount(&server)
        .await;
    catch_all(&server, 0).await;
    let records = builder(&server)
        .with_max_response_bytes(LIMIT)
        .build()
        .unwrap()
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap();
    assert_eq!(records.len(), 5);
}

/// Without a `Content-Length` (chunked), the bound is applied as the body streams in.
/// wiremock always sends a length, so this server is a bare loopback socket.
#[tokio::test]
async fn a_chunked_answer_is_cut_off_at_the_limit() {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let address = listener.local_addr().unwrap();
    let server = tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut request = vec![0u8; 4096];
        let _ = socket.read(&mut request).await.unwrap();
        let mut answer = b"HTTP/1.1 200 OK\r\ncontent-type: application/json\r\n\
                           transfer-encoding: chunked\r\n\r\n"
            .to_vec();
        for _ in 0..20 {
            let chunk = "x".repeat(100);
            answer.extend_from_slice(format!("{:x}\r\n{chunk}\r\n", chunk.len()).as_bytes());
        }
        answer.extend_from_slice(b"0\r\n\r\n");
        // The client may hang up once it has had enough.
        let _ = socket.write_all(&answer).await;
    });
    let client = connector_kingoftime::KingOfTime::builder()
        .with_token(TOKEN)
        .with_base_url(format!("http://{address}/v1.0"))
        .with_retry_policy(fast_retries())
        .with_clock(noon())
        .with_max_response_bytes(LIMIT)
        .build()
        .unwrap();
    let error = client
        .list_employees(&ListOptions::all_records())
        .await
        .unwrap_err();
    assert_too_large(&error);
    server.await.unwrap();
}

#[test]
fn a_zero_limit_is_a_configuration_error() {
    let error = connector_kingoftime::KingOfTime::builder()
        .with_token(TOKEN)
        .with_max_response_bytes(0)
        .build()
        .unwrap_err();
    assert!(
        matches!(error, ConnectorError::InvalidConfig { .. }),
        "{error}"
    );
}
